// The Magento benchmark: `npm run bench:magento` (options: `npm run bench:magento -- --help`).
//
// A full initial sync of PRODUCTS products (simples and configurables with three children each) and
// ORDERS orders from the Magento simulator (test/sim/magento) with LATENCY ms injected per call, in two
// phases measured in the same run:
//
//   adapter   the adapter alone pages through both lists (no storage): what the upstream's latency allows
//   engine    the sync engine pulls the same data into a fresh PostgreSQL database with in-process workers
//
// Printed: records/s, upstream calls against the ideal (records / largest page size, per list), and wall
// time against the latency-bound ideal (ideal calls × latency / pages in flight) and against the adapter
// phase. Every stored product and order is counted at the end; the database is dropped on exit.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Registry } from 'prom-client';
import { AdapterRegistry } from '../src/adapters/registry.ts';
import { createMagentoAdapter, magentoAdapter } from '../src/adapters/magento/index.ts';
import type { AdapterFactory, Entity } from '../src/core/ports.ts';
import { SyncEngine } from '../src/core/sync/engine.ts';
import { attachFlows } from '../src/core/flows/runner.ts';
import { MemoryThrottle } from '../src/store/memory-throttle.ts';
import { createLogger } from '../src/log.ts';
import { insertConnection } from '../src/store/connections.ts';
import { createDb, createPool, migrateToLatest } from '../src/store/db.ts';
import { installJobSchema } from '../src/store/jobs.ts';
import { AesGcmSecretBox } from '../src/store/secrets.ts';
import { createTenant } from '../src/store/tenancy.ts';
import { startMagentoSim } from '../test/sim/magento/index.ts';

const USAGE = `usage: npm run bench:magento -- [options]

  --products N      products in the store (1 in 50 a configurable with 3 children)  default 50000
  --orders N        orders in the store                                              default 100000
  --latency MS      latency injected per upstream call                               default 50
  --page-size N     searchCriteria pageSize (the store's maximum)                    default 300
  --concurrency N   pages in flight per list (page_concurrency setting)              default 4
  --workers N       in-process pull workers of the engine phase                      default 2
  --database URL    PostgreSQL server to create the bench database on
                    (default: BENCH_DATABASE_URL, TEST_DATABASE_URL or DATABASE_URL,
                    else postgres://postgres@127.0.0.1:5432/postgres)`;

const { values: args } = parseArgs({
  options: {
    products: { type: 'string', default: '50000' },
    orders: { type: 'string', default: '100000' },
    latency: { type: 'string', default: '50' },
    'page-size': { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '4' },
    workers: { type: 'string', default: '2' },
    database: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const PRODUCTS = Number(args.products);
const ORDERS = Number(args.orders);
const LATENCY = Number(args.latency);
const PAGE = Number(args['page-size']);
const CONC = Number(args.concurrency);
const WORKERS = Number(args.workers);
const ADMIN_URL = args.database ?? process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const configurables = Math.floor(PRODUCTS / 50);
const simples = PRODUCTS - configurables * 4;
const ENTITIES: Entity[] = ['products', 'orders'];
const WIDE = { from: null, to: '2100-01-01T00:00:00.000Z' };

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const ideal = Math.ceil(PRODUCTS / PAGE) + Math.ceil(ORDERS / PAGE);
const latencyBoundMs = (ideal * LATENCY) / CONC;

/** Only products and orders: the bench's connection runs exactly these two pulls. */
const benchFactory: AdapterFactory = {
  ...(magentoAdapter as unknown as AdapterFactory),
  manifest: { ...magentoAdapter.manifest, capabilities: ['products.read', 'orders.read'] },
};

console.log(`seeding ${fmt(PRODUCTS)} products (${fmt(configurables)} configurables) and ${fmt(ORDERS)} orders ...`);
let t0 = performance.now();
const sim = await startMagentoSim({ seed: { simples, configurables, orders: ORDERS, customers: 200, categories: 12 }, validateResponses: 'sample' });
console.log(`  seeded in ${fmt((performance.now() - t0) / 1000, 1)} s`);
sim.faults.latency(LATENCY);
const settings = { base_url: sim.url, page_size: PAGE, page_concurrency: CONC, rate_per_sec: 1000, burst: 1000 };
const credentials = { type: 'oauth1' as const, ...sim.credentials.oauth1 };

interface Phase {
  name: string;
  ms: number;
  calls: number;
  records: number;
}
const phases: Phase[] = [];

// ---- Phase 1: the adapter alone ----
{
  const adapter = createMagentoAdapter({
    connectionId: 'bench',
    tenantId: 'bench',
    settings: magentoAdapter.settingsSchema.parse(settings),
    credentials: magentoAdapter.credentialsSchema.parse(credentials),
    allowPrivateUpstreams: true,
  });
  const before = sim.requestCount();
  t0 = performance.now();
  let records = 0;
  for (const entity of ENTITIES) {
    let cursor: string | null = null;
    const ids = new Set<string>();
    do {
      const page = await adapter.pull!(entity, { window: WIDE, cursor, full: true });
      for (const r of page.records) ids.add(r.external_id);
      cursor = page.next;
    } while (cursor);
    const expected = entity === 'products' ? PRODUCTS : ORDERS;
    if (ids.size !== expected) throw new Error(`adapter phase: ${entity} ${ids.size} distinct records, expected ${expected}`);
    records += ids.size;
  }
  phases.push({ name: 'adapter', ms: performance.now() - t0, calls: sim.requestCount() - before, records });
  console.log(`  adapter phase: ${fmt(records)} records in ${fmt((performance.now() - t0) / 1000, 1)} s`);
}

// ---- Phase 2: the sync engine into PostgreSQL ----
const dbName = `sy_mgbench_${randomBytes(4).toString('hex')}`;
const admin = async (q: string) => {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(q);
  } finally {
    await c.end();
  }
};
const url = new URL(ADMIN_URL);
url.pathname = `/${dbName}`;
await admin(`CREATE DATABASE "${dbName}"`);
let engine: SyncEngine | undefined;
const pool = createPool(url.toString(), { max: 8, applicationName: 'switchyard-bench-magento' });
const db = createDb(pool);
pool.on('error', () => undefined);
try {
  await migrateToLatest(db as never);
  await installJobSchema(pool);
  const box = new AesGcmSecretBox(randomBytes(32));
  const tenant = await createTenant(db, 'bench');
  const conn = await insertConnection(db, box, tenant.id, { channel: 'magento', name: 'bench store', settings, credentials });
  engine = new SyncEngine({
    db,
    pool,
    box,
    registry: new AdapterRegistry([benchFactory]),
    throttle: new MemoryThrottle(),
    log: createLogger('silent'),
    metricsRegistry: new Registry(),
    allowPrivateUpstreams: true,
    pollIntervalMs: 50,
  });
  attachFlows(engine, createLogger('silent'));
  const before = sim.requestCount();
  t0 = performance.now();
  await engine.requestSync(tenant.id, conn.id, ENTITIES, true);
  await engine.startWorkers(WORKERS);
  for (;;) {
    const s = await engine.status(tenant.id, conn.id);
    const done = ENTITIES.every((e) => {
      const st = s.entities.find((x) => x.entity === e);
      return st && st.last_success_at && !st.run_in_progress;
    });
    if (done) break;
    const failing = s.entities.find((x) => x.failures > 0 && x.last_error);
    if (failing) console.log(`  ${failing.entity}: ${failing.last_error}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const ms = performance.now() - t0;
  const count = async (table: string) => Number((await pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE connection_id = $1`, [conn.id])).rows[0].n);
  const [p, o] = [await count('products'), await count('orders')];
  if (p !== PRODUCTS || o !== ORDERS) throw new Error(`engine phase stored ${p} products and ${o} orders, expected ${PRODUCTS} and ${ORDERS}`);
  phases.push({ name: 'engine', ms, calls: sim.requestCount() - before, records: p + o });
  console.log(`  engine phase: ${fmt(p + o)} records stored in ${fmt(ms / 1000, 1)} s`);
  if (process.env.BENCH_DEBUG) {
    const by = new Map<string, number>();
    for (const r of sim.requests.slice(before)) by.set(`${r.method} ${r.template}`, (by.get(`${r.method} ${r.template}`) ?? 0) + 1);
    console.log('engine phase calls by operation:', Object.fromEntries(by));
  }
} finally {
  await engine?.stop();
  await db.destroy().catch(() => undefined);
  await admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
  await sim.stop();
}

console.log(`\nMagento full initial sync: ${fmt(PRODUCTS)} products + ${fmt(ORDERS)} orders, ${LATENCY} ms per call, pageSize ${PAGE}, ${CONC} pages in flight`);
console.log(`ideal calls: ${fmt(ideal)} (records / page size, per list); latency-bound wall time: ${fmt(latencyBoundMs / 1000, 2)} s (ideal calls × latency / pages in flight)\n`);
console.log('phase      wall s   records/s   calls   calls/ideal   wall/latency-bound   wall/adapter');
const base = phases[0]!;
for (const ph of phases) {
  console.log(
    `${ph.name.padEnd(9)} ${fmt(ph.ms / 1000, 2).padStart(7)} ${fmt(ph.records / (ph.ms / 1000)).padStart(11)} ${fmt(ph.calls).padStart(7)} ${fmt(ph.calls / ideal, 2).padStart(13)} ${fmt(ph.ms / latencyBoundMs, 2).padStart(20)} ${fmt(ph.ms / base.ms, 2).padStart(14)}`,
  );
}

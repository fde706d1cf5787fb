// The flows benchmark: `npm run bench:flows` (options: `npm run bench:flows -- --help`).
//
// A merchant with SKUS SKUs (a third of them variants of configurable products on the store side is a
// catalog concern; here every SKU is a stock level) and ORDERS_PER_DAY marketplace orders a day,
// replayed SCALE times faster than real time on two scripted upstreams (test/sim/scripted) with their
// rate limits scaled by the same factor: a store (100 req/s real) and a marketplace whose order list
// allows 1 call a minute with a burst of 20 (SP-API getOrders-like) and 5 writes a second. Both are
// polled as a production deployment would (store stock every POLL_STOCK_S, marketplace orders every
// POLL_ORDERS_S simulated seconds), through the in-process engine with the flows:
//
//   stock   single stock changes in the store, one at a time: simulated seconds from the change to the
//           marketplace's quantity (p50, p99), against the baseline measured in the same run: one bare
//           stock write to the marketplace through the same adapter (its wall time, in ratio).
//   orders  marketplace orders at the daily rate: simulated seconds from the sale to the store order,
//           upstream calls per order (both sides), 429s, oversells in the exception list.
//
// Simulated time = wall time × SCALE. The usual connectors poll every 5 to 30 minutes; the target is a
// p99 stock propagation under 60 simulated seconds.
import pg from 'pg';
import { Registry } from 'prom-client';
import { createApp } from '../src/api/app.ts';
import { AdapterRegistry } from '../src/adapters/registry.ts';
import { SyncEngine } from '../src/core/sync/engine.ts';
import { attachFlows } from '../src/core/flows/runner.ts';
import { MemoryThrottle } from '../src/store/memory-throttle.ts';
import { createLogger } from '../src/log.ts';
import { createDb, createPool } from '../src/store/db.ts';
import { installJobSchema } from '../src/store/jobs.ts';
import { AesGcmSecretBox } from '../src/store/secrets.ts';
import { createApiKey, createTenant } from '../src/store/tenancy.ts';
import { startScriptedUpstream, type ScriptedUpstream, type SimOrder } from '../test/sim/scripted/server.ts';
import { scriptedShopAdapter } from '../test/support/scripted-adapter.ts';
import { migrate, provisionDatabase } from './foundation/database.ts';
import { flowsBenchArgs, pct, sleep, waitUntil } from './foundation/flows.ts';

const { opt, skus: SKUS, scale: SCALE, stockChanges: STOCK_CHANGES, orders: ORDERS, orderGapMs: ORDER_GAP_MS } = flowsBenchArgs(
  'npm run bench:flows -- [--skus 2000] [--orders-per-day 2000] [--scale 100] [--stock-changes 40] [--orders 60] [--poll-stock-s 30] [--poll-orders-s 60]\nenv: BENCH_DATABASE_URL or TEST_DATABASE_URL (else embedded PostgreSQL)',
  2000,
);

const log = createLogger(process.env.LOG_LEVEL ?? 'silent');
const cleanups: (() => Promise<void>)[] = [];

async function main(): Promise<void> {
  const database = await provisionDatabase(log, (undo) => cleanups.push(undo));
  await migrate(database.url);
  const pool = createPool(database.url, { max: 20, applicationName: 'switchyard-bench-flows' });
  pool.on('error', () => undefined);
  cleanups.push(() => pool.end());
  await installJobSchema(pool);
  const db = createDb(pool);

  // Rates of the real platforms, SCALE times faster.
  const store = await startScriptedUpstream({ decrementStockOnOrder: true, data: { products: SKUS, inventory: SKUS }, rateLimit: { ratePerSec: 100 * SCALE, burst: 100, headers: true } });
  const market = await startScriptedUpstream({
    data: { products: SKUS, inventory: SKUS },
    rateLimit: { ratePerSec: 5 * SCALE, burst: 10, headers: true, routes: { 'orders.list': { ratePerSec: SCALE / 60, burst: 20 } } },
  });
  cleanups.push(() => store.stop(), () => market.stop());

  const registry = new AdapterRegistry([scriptedShopAdapter]);
  const box = new AesGcmSecretBox(Buffer.alloc(32, 7));
  const engine = new SyncEngine({ db, pool, box, registry, throttle: new MemoryThrottle(), log, metricsRegistry: new Registry(), allowPrivateUpstreams: true, pollIntervalMs: 20 });
  attachFlows(engine, log);
  cleanups.push(() => engine.stop());
  const app = createApp({ db, box, registry, log, allowPrivateUpstreams: true, engine });
  const tenant = await createTenant(db, 'bench');
  const { key } = await createApiKey(db, tenant.id);
  const call = async (path: string, body: unknown, method = 'POST') => {
    const res = await app.request(path, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string };
  };
  const conn = async (sim: ScriptedUpstream, name: string, rate: number) =>
    (await call('/v1/connections', { channel: 'scripted_shop', name, settings: { base_url: sim.url, rate_per_sec: rate, burst: 10, page_size: 100 }, credentials: { api_key: 'test-key' } })).id;
  const storeId = await conn(store, 'Store (scripted)', 100 * SCALE);
  const marketId = await conn(market, 'Marketplace (scripted)', 5 * SCALE);
  // Polling as deployed: intervals in simulated seconds, run SCALE times faster.
  const wall = (simS: number) => simS / SCALE;
  // The store: stock and orders polled often. The marketplace: orders at their poll; what shares its
  // scarce order-list budget (shipments are read from the same list) or is not needed here, rarely.
  await db.updateTable('connections').set({ sync_intervals: JSON.stringify({ inventory: wall(Number(opt['poll-stock-s'])), orders: wall(60), shipments: wall(60), products: wall(900) }) }).where('id', '=', storeId).execute();
  await db.updateTable('connections').set({ sync_intervals: JSON.stringify({ orders: wall(Number(opt['poll-orders-s'])), shipments: wall(3600), inventory: wall(900), products: wall(900) }) }).where('id', '=', marketId).execute();

  console.log(`flows benchmark: ${SKUS} SKUs, ${opt['orders-per-day']} orders/day, time x${SCALE}, store stock polled every ${opt['poll-stock-s']} s and marketplace orders every ${opt['poll-orders-s']} s (simulated); database ${database.where}`);
  await engine.startWorkers(4);
  const t0 = Date.now();
  await waitUntil('first pulls', async () => {
    const n = await db.selectFrom('inventory_levels').select((eb) => eb.fn.countAll<number>().as('n')).where('connection_id', '=', marketId).executeTakeFirstOrThrow();
    const m = await db.selectFrom('inventory_levels').select((eb) => eb.fn.countAll<number>().as('n')).where('connection_id', '=', storeId).executeTakeFirstOrThrow();
    return Number(n.n) === SKUS && Number(m.n) === SKUS;
  }, 600_000);
  console.log(`first pulls of ${SKUS} stock levels on both sides: ${((Date.now() - t0) / 1000).toFixed(1)} s wall`);

  const profile = await call('/v1/profiles', { name: 'bench', rules: { inventory: { buffer: 0 } } });
  const link = (flow: string, source: string, target: string) =>
    call('/v1/links', { name: flow, flow, source_connection_id: source, targets: [{ connection_id: target }], profile_id: profile.id, interval_sec: 3600, options: { debounce_ms: 50, bulk_threshold: 50, import_orders_placed_after: new Date(Date.now() - 60_000).toISOString() } });
  await link('inventory_sync', storeId, marketId);
  await link('order_import', marketId, storeId);
  // The first run aligns every SKU (one bulk write per 1,000 changed SKUs).
  const t1 = Date.now();
  await waitUntil('initial alignment', () => [...store.state.inventory.values()].every((l) => market.state.inventory.get(`${l.sku}@default`)?.quantity === Math.max(0, l.quantity - l.reserved)), 120_000).catch(async (err) => {
    const links = await db.selectFrom('flow_links').select(['flow', 'runs', 'last_error']).execute();
    const ops = await db.selectFrom('operations').select(['kind', 'state', 'last_error']).execute();
    const off = [...store.state.inventory.values()].filter((l) => market.state.inventory.get(`${l.sku}@default`)?.quantity !== Math.max(0, l.quantity - l.reserved)).slice(0, 3);
    console.error(JSON.stringify({ links, ops: ops.slice(0, 5), opsCount: ops.length, off: off.map((l) => [l.sku, l.quantity, l.reserved, market.state.inventory.get(`${l.sku}@default`)?.quantity]) }));
    throw err;
  });
  console.log(`initial alignment of ${SKUS} SKUs: ${((Date.now() - t1) / 1000).toFixed(1)} s wall, ${market.state.calls.get('inventory.bulk') ?? 0} bulk and ${market.state.calls.get('inventory.set') ?? 0} single writes`);

  // Baseline: one bare stock write to the marketplace through the same adapter.
  const live = await engine.adapters.get(tenant.id, marketId);
  const base: number[] = [];
  for (let i = 0; i < 20; i++) {
    const s = performance.now();
    await live.adapter.writes!.setStock!({ sku: 'SKU-1', quantity: market.state.inventory.get('SKU-1@default')!.quantity, location_id: 'default' }, { idempotencyKey: `bench-base-${i}` });
    base.push(performance.now() - s);
  }

  // Stock: single changes, one at a time.
  const stock: number[] = [];
  for (let i = 0; i < STOCK_CHANGES; i++) {
    const sku = `SKU-${(i * 7919) % SKUS}`;
    const level = store.state.update('inventory', `${sku}@default`, (l) => void (l.quantity = l.reserved + 10 + ((l.quantity + 3) % 50)));
    const want = level.quantity - level.reserved;
    const s = performance.now();
    await waitUntil(`stock of ${sku}`, () => market.state.inventory.get(`${sku}@default`)?.quantity === want, 120_000);
    stock.push((performance.now() - s) * SCALE / 1000);
  }

  // Orders at the daily rate.
  const callsBefore = store.state.totalCalls() + market.state.totalCalls();
  const throttledBefore = store.state.throttled + market.state.throttled;
  const placed: { order: SimOrder; at: number }[] = [];
  const seen = new Map<string, number>();
  const watcher = setInterval(() => {
    for (const o of store.state.orders.values()) if (!seen.has(o.number)) seen.set(o.number, performance.now());
  }, 5);
  for (let i = 0; i < ORDERS; i++) {
    // A SKU the marketplace offers (a sale of what is not offered cannot happen there).
    let n = (i * 104729) % SKUS;
    while ((market.state.inventory.get(`SKU-${n}@default`)?.quantity ?? 0) < 1) n = (n + 1) % SKUS;
    const sku = `SKU-${n}`;
    const id = `B-${i}`;
    const now = new Date().toISOString();
    const order: SimOrder = {
      id, number: `BN-${i}`, status: 'processing', currency: 'EUR', customer: { id: null, email: `b${i}@example.com`, name: `Buyer ${i}` }, billing_address: null, shipping_address: null,
      items: [{ id: `${id}-1`, sku, name: sku, qty_ordered: 1, qty_shipped: 0, qty_canceled: 0, price: '10.00', tax_amount: '0.00', discount_amount: '0.00', row_total: '10.00' }],
      subtotal: '10.00', shipping_amount: '0.00', tax_amount: '0.00', discount_amount: '0.00', grand_total: '10.00', shipments: [], placed_at: now, created_at: now, updated_at: now,
    };
    market.state.orders.put(id, order);
    placed.push({ order, at: performance.now() });
    await sleep(ORDER_GAP_MS);
  }
  await waitUntil('every order in the store', () => placed.every((p) => seen.has(p.order.number)), 300_000);
  clearInterval(watcher);
  const orderLat = placed.map((p) => ((seen.get(p.order.number)! - p.at) * SCALE) / 1000);
  const calls = store.state.totalCalls() + market.state.totalCalls() - callsBefore;
  const throttled = store.state.throttled + market.state.throttled - throttledBefore;
  const dupOrders = placed.filter((p) => [...store.state.orders.values()].filter((o) => o.number === p.order.number).length !== 1).length;
  const oversells = await db.selectFrom('flow_exceptions').select('id').where('kind', '=', 'oversell').execute();

  const f = (n: number) => n.toFixed(1);
  console.log(`\nbaseline: a bare marketplace stock write, p50 ${f(pct(base, 50))} ms wall`);
  console.log(`stock change -> marketplace (${STOCK_CHANGES} single changes): p50 ${f(pct(stock, 50))} s, p99 ${f(pct(stock, 99))} s simulated` +
    ` (${f((pct(stock, 50) * 1000) / SCALE / pct(base, 50))}x the bare write at p50); target p99 < 60 s: ${pct(stock, 99) < 60 ? 'met' : 'NOT met'}`);
  console.log(`marketplace order -> store (${ORDERS} orders): p50 ${f(pct(orderLat, 50))} s, p99 ${f(pct(orderLat, 99))} s simulated; ${(calls / ORDERS).toFixed(1)} upstream calls per order (both sides, polls included); ${throttled} 429s`);
  console.log(`orders not exactly once in the store: ${dupOrders}; oversells listed: ${oversells.length}; duplicate write effects: store ${store.state.duplicateEffects().length}, marketplace ${market.state.duplicateEffects().length}`);
}

let failed = false;
try {
  await main();
} catch (err) {
  failed = true;
  console.error(err instanceof Error ? err.message : err);
} finally {
  for (const undo of cleanups.reverse()) await undo().catch(() => undefined);
}
process.exit(failed ? 1 : 0);

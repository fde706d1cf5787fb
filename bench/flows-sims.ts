// The flows benchmark on the real simulators: `npm run bench:flows:sims` (options: `-- --help`).
//
// bench/flows.ts replays the merchant on two scripted upstreams; this one replays it on the Magento
// simulator (test/sim/magento) as the store and the Amazon SP-API simulator (test/sim/amazon) as the
// marketplace, through the real Magento and Amazon adapters, the in-process engine and the flows:
//
//   catalog  SKUS sellable SKUs in Magento, a third of them children of configurable products (3 each,
//            so SKUS/9 configurables), each with a stock level on the default source; Amazon lists the same
//            SKUs (seed.skus), 90% merchant-fulfilled with a quantity, the rest FBA or variation parents.
//   rates    Amazon's documented usage plans, enforced by the simulator, SCALE times faster (timeScale):
//            searchOrders 0.0056/s burst 20, getListingsItem 5/s burst 10, patchListingsItem 5/s burst 5,
//            createFeed 0.0083/s burst 15, … (the simulator reads them from the SP-API models; the adapter
//            learns the scaled rates from x-amzn-RateLimit-Limit). Magento documents no API limit: the
//            adapter's own polite budget (10 req/s) is scaled the same way. Every other duration of the
//            replay is scaled too: Amazon's two-minute order visibility lag (simulator and adapter), LWA
//            token lifetime, feed processing (FEED_S simulated seconds), poll intervals.
//   polls    as deployed: Magento stock every POLL_STOCK_S and orders every 60 simulated seconds; Amazon
//            orders every POLL_ORDERS_S; Amazon listings (products, inventory) hourly.
//
//   stock    single stock changes in Magento (a source item's quantity), one at a time: simulated seconds
//            from the change to Amazon's listing quantity (p50, p99), against the baseline measured in
//            the same run: one bare Amazon stock write through the same adapter (getListingsItem +
//            patchListingsItem), in ratio. Also the Magento stock poll's cycle (wall and simulated).
//   orders   Amazon orders at ORDERS_PER_DAY: simulated seconds from the sale to the Magento order,
//            upstream calls per order (both sides, polls included), 429s, oversells in the exception list.
//
// Simulated time = wall time × SCALE. Target: p99 stock propagation under 60 simulated seconds.
import { Registry } from 'prom-client';
import { createApp } from '../src/api/app.ts';
import { amazonAdapter, createAmazonAdapter } from '../src/adapters/amazon/index.ts';
import { ORDERS_LAG_MS } from '../src/adapters/amazon/orders.ts';
import { magentoAdapter } from '../src/adapters/magento/index.ts';
import { AdapterRegistry } from '../src/adapters/registry.ts';
import type { AdapterFactory } from '../src/core/ports.ts';
import { SyncEngine } from '../src/core/sync/engine.ts';
import { attachFlows } from '../src/core/flows/runner.ts';
import { MemoryThrottle } from '../src/store/memory-throttle.ts';
import { createLogger } from '../src/log.ts';
import { createDb, createPool } from '../src/store/db.ts';
import { installJobSchema } from '../src/store/jobs.ts';
import { AesGcmSecretBox } from '../src/store/secrets.ts';
import { createApiKey, createTenant } from '../src/store/tenancy.ts';
import { startAmazonSim } from '../test/sim/amazon/index.ts';
import { startMagentoSim } from '../test/sim/magento/index.ts';
import { migrate, provisionDatabase } from './foundation/database.ts';
import { flowsBenchArgs, pct, sleep, waitUntil } from './foundation/flows.ts';

const { opt, skus: SKUS, scale: SCALE, stockChanges: STOCK_CHANGES, orders: ORDERS, orderGapMs: ORDER_GAP_MS } = flowsBenchArgs(
  'npm run bench:flows:sims -- [--skus 20000] [--orders 60] [--stock-changes 40] [--scale 100] [--orders-per-day 2000] [--poll-stock-s 30] [--poll-orders-s 60] [--feed-s 120]\n(--skus 2000 for a quick run)\nenv: BENCH_DATABASE_URL or TEST_DATABASE_URL (else embedded PostgreSQL)',
  20000, { 'feed-s': '120' }
);
const CONFIGURABLES = Math.round(SKUS / 9);
const SIMPLES = SKUS - 3 * CONFIGURABLES;

const log = createLogger(process.env.LOG_LEVEL ?? 'silent');
const cleanups: (() => Promise<void>)[] = [];
const sim = (wallMs: number) => (wallMs * SCALE) / 1000;

/**
 * The Amazon channel as deployed, its two-minute order lag replayed SCALE times faster: the engine's
 * safety lag, and the adapter's clock moved forward so that `now - ORDERS_LAG_MS` is `now - lag / SCALE`
 * (the simulator's own lag is scaled by its timeScale). Nothing else of the adapter changes.
 */
const scaledAmazon: AdapterFactory = {
  ...(amazonAdapter as unknown as AdapterFactory),
  sync: { ...amazonAdapter.sync!, safetyLagMs: ORDERS_LAG_MS / SCALE },
  create: (ctx) => createAmazonAdapter(ctx as never, () => Date.now() + ORDERS_LAG_MS - ORDERS_LAG_MS / SCALE),
};
const scaledMagento: AdapterFactory = {
  ...(magentoAdapter as unknown as AdapterFactory),
  sync: { ...magentoAdapter.sync!, safetyLagMs: magentoAdapter.sync!.safetyLagMs! / SCALE },
};

async function main(): Promise<void> {
  const database = await provisionDatabase(log, (undo) => cleanups.push(undo));
  await migrate(database.url);
  const pool = createPool(database.url, { max: 20, applicationName: 'switchyard-bench-flows-sims' });
  pool.on('error', () => undefined);
  cleanups.push(() => pool.end());
  await installJobSchema(pool);
  const db = createDb(pool);

  const t00 = performance.now();
  const mg = await startMagentoSim({ seed: { simples: SIMPLES, configurables: CONFIGURABLES, orders: 0, customers: 2, categories: 4 }, validateResponses: 'sample' });
  cleanups.push(() => mg.stop());
  const sellable = mg.state.products.filter((p) => p.type_id === 'simple').map((p) => p.sku);
  const az = await startAmazonSim({ seed: { skus: sellable, orders: 0, fbaInventory: 0, seed: 7 }, timeScale: SCALE, feedProcessingMs: Number(opt['feed-s']) * 1000 });
  cleanups.push(() => az.stop());
  const mfn = sellable.filter((sku) => az.state.quantityOf(sku) !== null);
  console.log(`flows benchmark on the simulators: ${SKUS} SKUs (${SIMPLES} simple, ${CONFIGURABLES} configurable with ${3 * CONFIGURABLES} children) in Magento, ${az.state.listings.size} Amazon listings (${mfn.length} merchant-fulfilled), ${opt['orders-per-day']} orders/day, time x${SCALE}; Magento stock polled every ${opt['poll-stock-s']} s, Amazon orders every ${opt['poll-orders-s']} s (simulated); simulators seeded in ${((performance.now() - t00) / 1000).toFixed(1)} s; database ${database.where}`);
  const plan = (op: string) => az.usagePlan(op);
  console.log(`Amazon usage plans as enforced (rate x${SCALE}/s, burst): ${['searchOrders', 'getListingsItem', 'patchListingsItem', 'searchListingsItems', 'createFeed', 'getFeed'].map((op) => `${op} ${plan(op)?.rate.toPrecision(3)}/${plan(op)?.burst}`).join(', ')}`);

  const registry = new AdapterRegistry([scaledMagento, scaledAmazon]);
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
  const magentoId = (await call('/v1/connections', { channel: 'magento', name: 'Magento (simulator)', settings: { base_url: mg.url, store_code: 'default', rate_per_sec: Math.min(1000, 10 * SCALE), burst: 20 }, credentials: { type: 'oauth1', ...mg.credentials.oauth1 } })).id;
  const amazonId = (await call('/v1/connections', {
    channel: 'amazon',
    name: 'Amazon (simulator)',
    settings: { region: 'na', seller_id: az.sellerId, marketplace_ids: az.marketplaceIds, endpoint: az.url, lwa_endpoint: az.lwaUrl },
    credentials: az.credentials,
  })).id;
  const wall = (simS: number) => simS / SCALE;
  await db.updateTable('connections').set({ sync_intervals: JSON.stringify({ inventory: wall(Number(opt['poll-stock-s'])), orders: wall(60), shipments: wall(60), products: wall(3600), customers: wall(3600), categories: wall(3600) }) }).where('id', '=', magentoId).execute();
  await db.updateTable('connections').set({ sync_intervals: JSON.stringify({ orders: wall(Number(opt['poll-orders-s'])), inventory: wall(3600), products: wall(3600) }) }).where('id', '=', amazonId).execute();

  await engine.startWorkers(4);
  const t0 = performance.now();
  const pulled = async (connectionId: string, entity: string) =>
    !!(await db.selectFrom('sync_checkpoints').select('last_success_at').where('connection_id', '=', connectionId).where('entity', '=', entity).executeTakeFirst())?.last_success_at;
  await waitUntil('first pulls', async () => (await pulled(magentoId, 'inventory')) && (await pulled(amazonId, 'inventory')) && (await pulled(amazonId, 'products')), 900_000, 200);
  console.log(`first pulls (Magento stock, Amazon listings and stock): ${((performance.now() - t0) / 1000).toFixed(1)} s wall`);

  const profile = await call('/v1/profiles', { name: 'bench', rules: { inventory: { buffer: 0 }, customer: { policy: 'guest' } } });
  const link = (flow: string, source: string, target: string) =>
    call('/v1/links', { name: flow, flow, source_connection_id: source, targets: [{ connection_id: target }], profile_id: profile.id, interval_sec: 3600, options: { debounce_ms: 50, bulk_threshold: 50, import_orders_placed_after: new Date(Date.now() - 60_000).toISOString() } });
  await link('inventory_sync', magentoId, amazonId);
  await link('order_import', amazonId, magentoId);
  const want = (sku: string) => Math.max(0, mg.state.salable(sku, 1));
  const t1 = performance.now();
  const feedsBefore = az.requests.filter((r) => r.operation === 'createFeed' && r.status === 202).length;
  await waitUntil('initial alignment', () => mfn.every((sku) => az.state.quantityOf(sku) === want(sku)), 900_000, 100).catch(async (err) => {
    const off = mfn.filter((sku) => az.state.quantityOf(sku) !== want(sku));
    const ops = await db.selectFrom('operations').select(['kind', 'state', 'last_error']).where('state', '!=', 'succeeded').limit(5).execute();
    console.error(JSON.stringify({ off: off.length, sample: off.slice(0, 3).map((s) => [s, az.state.quantityOf(s), want(s)]), ops }));
    throw err;
  });
  const feeds = az.requests.filter((r) => r.operation === 'createFeed' && r.status === 202).length - feedsBefore;
  console.log(`initial alignment of ${mfn.length} Amazon quantities: ${((performance.now() - t1) / 1000).toFixed(1)} s wall (${sim(performance.now() - t1).toFixed(0)} s simulated), ${feeds} feeds`);

  // Baseline: one bare Amazon stock write through the same adapter (read + patch), the quantity moved
  // by one and back so each call writes.
  const live = await engine.adapters.get(tenant.id, amazonId);
  const baseSku = mfn[mfn.length - 1]!;
  const base: number[] = [];
  const q0 = az.state.quantityOf(baseSku)!;
  for (let i = 0; i < 21; i++) {
    const s = performance.now();
    await live.adapter.writes!.setStock!({ sku: baseSku, quantity: i % 2 === 0 ? q0 + 1 : q0, location_id: 'DEFAULT' }, { idempotencyKey: `bench-base-${i}` });
    if (i > 0) base.push(performance.now() - s);
  }
  await live.adapter.writes!.setStock!({ sku: baseSku, quantity: q0, location_id: 'DEFAULT' }, { idempotencyKey: 'bench-base-restore' });

  // The Magento stock poll as it runs: the wall time of each full pull of the source items.
  const cycles: number[] = [];
  let lastDone: number | null = null;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const cp = await db.selectFrom('sync_checkpoints').select(['last_success_at']).where('connection_id', '=', magentoId).where('entity', '=', 'inventory').executeTakeFirst();
      const done = cp?.last_success_at?.getTime() ?? null;
      if (done !== null && done !== lastDone) {
        if (lastDone !== null) cycles.push(done - lastDone);
        lastDone = done;
      }
      await sleep(20);
    }
  })();

  // Stock: single changes in Magento, one at a time, each to a merchant-fulfilled SKU on Amazon.
  const stock: number[] = [];
  const mgCalls0 = mg.requestCount();
  const azCalls0 = az.requestCount();
  for (let i = 0; i < STOCK_CHANGES; i++) {
    const sku = mfn[(i * 7919) % (mfn.length - 1)]!;
    const si = mg.state.sourceItem(sku, 'default')!;
    mg.state.setSourceQty(sku, 'default', 10 + ((si.quantity + 3) % 50) + (si.quantity + 3 >= 50 ? 0 : 50));
    const target = want(sku);
    const s = performance.now();
    await waitUntil(`stock of ${sku} at ${target} on Amazon`, () => az.state.quantityOf(sku) === target, 600_000);
    stock.push(sim(performance.now() - s));
  }
  polling = false;
  await poller;
  const stockCalls = { magento: mg.requestCount() - mgCalls0, amazon: az.requestCount() - azCalls0 };
  const b50 = pct(base, 50);
  const f = (n: number, d = 1) => n.toFixed(d);
  console.log(`\nbaseline: a bare Amazon stock write through the adapter (getListingsItem + patchListingsItem), p50 ${f(b50)} ms wall = ${f(sim(b50), 2)} s simulated (p99 ${f(pct(base, 99))} ms)`);
  console.log(`Magento stock poll (full read of ${SKUS} source items + salable quantities): ${cycles.length} cycles, p50 ${f(pct(cycles, 50) / 1000, 2)} s wall = ${f(sim(pct(cycles, 50)), 0)} s simulated (max ${f(sim(Math.max(...cycles)), 0)} s simulated)`);
  console.log(`stock change -> Amazon (${STOCK_CHANGES} single changes): p50 ${f(pct(stock, 50))} s, p99 ${f(pct(stock, 99))} s simulated (${f(pct(stock, 50) / sim(b50))}x the bare write at p50, ${f(pct(stock, 99) / sim(b50))}x at p99); target p99 < 60 s: ${pct(stock, 99) < 60 ? 'met' : 'NOT met'}; upstream calls ${stockCalls.magento} Magento + ${stockCalls.amazon} Amazon (${f((stockCalls.magento + stockCalls.amazon) / STOCK_CHANGES)} per change, polls included)`);

  // Orders at the daily rate, each of one unit of a merchant-fulfilled SKU Amazon shows in stock.
  const callsBefore = mg.requestCount() + az.requestCount();
  const azAt = az.requests.length;
  const mgAt = mg.requests.length;
  const throttledBefore = az.requests.filter((r) => r.status === 429).length;
  const placed: { orderId: string; sku: string; at: number }[] = [];
  const seen = new Map<string, number>();
  const ordersBefore = mg.state.orders.length;
  let scanned = ordersBefore;
  // A Magento order carries no Amazon order id the simulator keeps (ext_order_id is Switchyard's
  // idempotency marker): a new Magento order is matched to the oldest unmatched Amazon sale of its SKU.
  const watcher = setInterval(() => {
    for (; scanned < mg.state.orders.length; scanned++) {
      const skus = new Set(mg.state.orders[scanned]!.items.map((it) => it.sku));
      const p = placed.find((x) => !seen.has(x.orderId) && skus.has(x.sku));
      if (p) seen.set(p.orderId, performance.now());
    }
  }, 5);
  for (let i = 0; i < ORDERS; i++) {
    let n = (i * 104729) % mfn.length;
    while ((az.state.quantityOf(mfn[n]!) ?? 0) < 1) n = (n + 1) % mfn.length;
    const order = az.state.placeOrder({ items: [{ sku: mfn[n]!, quantity: 1, unitPrice: '10.00' }] });
    placed.push({ orderId: order.orderId, sku: mfn[n]!, at: performance.now() });
    await sleep(ORDER_GAP_MS);
  }
  await waitUntil('every order in Magento', () => placed.every((p) => seen.has(p.orderId)), 300_000).catch(async (err) => {
    console.error(`${placed.filter((p) => seen.has(p.orderId)).length} of ${placed.length} orders reached Magento`);
    const stored = await db.selectFrom('orders').select((eb) => eb.fn.countAll<number>().as('n')).where('connection_id', '=', amazonId).executeTakeFirstOrThrow();
    const imports = await db.selectFrom('flow_order_imports').select(['state']).execute();
    const exc = await db.selectFrom('flow_exceptions').select(['kind', 'reason']).limit(3).execute();
    const cps = await db.selectFrom('sync_checkpoints').select(['connection_id', 'entity', 'last_error', 'last_success_at']).execute();
    const ops = await db.selectFrom('operations').select(['kind', 'state', 'last_error']).where('state', '!=', 'succeeded').limit(5).execute();
    const links = await db.selectFrom('flow_links').select(['flow', 'runs', 'last_error']).execute();
    console.error(JSON.stringify({ storedAmazonOrders: stored.n, imports: imports.map((i) => i.state), exc, cps, ops, links, searchOrders: az.requests.filter((r) => r.operation === 'searchOrders').map((r) => r.status).slice(-10) }, null, 1));
    throw err;
  });
  clearInterval(watcher);
  const orderLat = placed.map((p) => sim(seen.get(p.orderId)! - p.at));
  const calls = mg.requestCount() + az.requestCount() - callsBefore;
  const throttledOrders = az.requests.filter((r) => r.status === 429).length - throttledBefore;
  await sleep(2000); // a duplicate would be created by a later pull or retry
  const created = mg.state.orders.length - ordersBefore;
  const perOp = new Map<string, number>();
  for (const r of az.requests.slice(azAt)) perOp.set(`amazon ${r.operation}`, (perOp.get(`amazon ${r.operation}`) ?? 0) + 1);
  for (const r of mg.requests.slice(mgAt)) perOp.set(`magento ${r.method} ${r.template}`, (perOp.get(`magento ${r.method} ${r.template}`) ?? 0) + 1);
  const orderPhaseOps = [...perOp].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([op, n]) => `${op} ${n}`).join(', ');
  const oversells = await db.selectFrom('flow_exceptions').select('id').where('kind', '=', 'oversell').execute();
  const exceptions = await db.selectFrom('flow_exceptions').select(['kind']).execute();
  const byOp = new Map<string, number>();
  for (const r of az.requests) if (r.status === 429) byOp.set(r.operation, (byOp.get(r.operation) ?? 0) + 1);

  console.log(`Amazon order -> Magento (${ORDERS} orders): p50 ${f(pct(orderLat, 50))} s, p99 ${f(pct(orderLat, 99))} s simulated (${f(pct(orderLat, 50) / sim(b50))}x the bare write at p50); ${f(calls / ORDERS)} upstream calls per order (both sides, polls included); ${throttledOrders} 429s while orders ran`);
  console.log(`calls while orders ran (${f(sim(placed[placed.length - 1]!.at - placed[0]!.at + ORDER_GAP_MS), 0)} s simulated of sales): ${orderPhaseOps}`);
  console.log(`429s over the whole run: ${[...byOp].map(([op, n]) => `${op} ${n}`).join(', ') || 'none'}; Magento orders created for ${ORDERS} Amazon orders: ${created}; oversells listed: ${oversells.length}; exceptions: ${exceptions.length}; simulator schema violations: Magento ${mg.violations.length}, Amazon ${az.violations.length}`);
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

// The Amazon adapter benchmark: `npm run bench:amazon` (options: --scale N, --orders N, --stock N).
//
// The SP-API simulator (test/sim/amazon) enforces the documented per-operation usage plans, time-scaled
// by --scale (default 600: searchOrders' 0.0056 req/s becomes 3.36 req/s, bursts unchanged). The adapter
// runs as the sync engine runs it: every call through a token-bucket throttle seeded from the rate table
// and adapted from x-amzn-RateLimit-Limit.
//
//   1. import ORDERS orders (searchOrders pages of 100, the whole history as one incremental window)
//   2. read the listings (searchListingsItems), as a connection's product pull does
//   3. push STOCK stock changes with setStockBulk: the adapter picks JSON_LISTINGS_FEED over single patches
//
// Printed per operation: calls, 429s, and the achieved fraction of the allowed rate: the calls after the
// burst over (allowed rate × time from the operation's first call to its last). The upstream's bucket is
// full at its first call and refills from then on, so 100% means every call came the moment the upstream
// would take it. Time against the ideal: the least time the usage plans allow for the same calls.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createAmazonAdapter } from '../src/adapters/amazon/index.ts';
import { AmazonCredentials, AmazonSettings } from '../src/adapters/amazon/settings.ts';
import { OPERATION_RATES, type SpOperation } from '../src/adapters/amazon/rates.ts';
import type { ChannelAdapter, Entity, PullWindow, RawRecord } from '../src/core/ports.ts';
import { MemoryThrottle } from '../src/store/memory-throttle.ts';
import { startAmazonSim } from '../test/sim/amazon/index.ts';

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '600' },
    orders: { type: 'string', default: '10000' },
    stock: { type: 'string', default: '5000' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log('npm run bench:amazon -- [--scale 600] [--orders 10000] [--stock 5000]');
  process.exit(0);
}
const scale = Number(args.scale);
const nOrders = Number(args.orders);
const nStock = Number(args.stock);

async function pullAll(adapter: ChannelAdapter, entity: Entity, window: PullWindow): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  let cursor: string | null = null;
  do {
    const page = await adapter.pull!(entity, { window, cursor, full: window.from === null });
    out.push(...page.records);
    cursor = page.next;
  } while (cursor);
  return out;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  console.log(`bench:amazon: ${nOrders} orders, ${nStock} stock changes, usage plans x${scale}`);
  const sim = await startAmazonSim({ seed: { orders: nOrders, listings: Math.ceil(nStock * 1.12), fbaInventory: 0, seed: 5 }, rateLimits: true, timeScale: scale });
  const throttle = new MemoryThrottle();
  const adapter = createAmazonAdapter({
    connectionId: 'con_bench',
    tenantId: 'ten_bench',
    settings: AmazonSettings.parse({ region: 'na', seller_id: sim.sellerId, marketplace_ids: sim.marketplaceIds, endpoint: sim.url, lwa_endpoint: sim.lwaUrl, feed_poll_ms: Math.max(10, Math.round(30_000 / scale)), timeout_ms: 60_000 }),
    credentials: AmazonCredentials.parse(sim.credentials),
    allowPrivateUpstreams: true,
    throttle,
  });
  const phases: { name: string; ms: number; idealMs: number; ops: SpOperation[]; rateBound?: boolean }[] = [];
  try {
    // 1. orders
    let t = performance.now();
    const window = { from: null, to: new Date().toISOString() };
    const orders = await pullAll(adapter, 'orders', window);
    const ordersMs = performance.now() - t;
    const expected = [...sim.state.orders.values()].filter((o) => o.lastUpdatedTime <= Date.parse(window.to) - 120_000).length;
    if (new Set(orders.map((o) => o.external_id)).size !== expected) throw new Error(`imported ${orders.length} orders, expected ${expected}`);
    for (const o of orders) adapter.normalize!('orders', o);
    const pages = Math.ceil(expected / 100);
    const so = OPERATION_RATES.searchOrders;
    phases.push({ name: `import ${expected} orders`, ms: ordersMs, idealMs: (Math.max(0, pages - so.burst) / (so.ratePerSec * scale)) * 1000, ops: ['searchOrders'], rateBound: true });

    // 2. listings
    t = performance.now();
    const listings = await pullAll(adapter, 'products', { from: null, to: new Date().toISOString() });
    const listMs = performance.now() - t;
    const sl = OPERATION_RATES.searchListingsItems;
    const listPages = Math.ceil(listings.length / 20);
    phases.push({ name: `read ${listings.length} listings`, ms: listMs, idealMs: (Math.max(0, listPages - sl.burst) / (sl.ratePerSec * scale)) * 1000, ops: ['searchListingsItems'] });

    // 3. stock
    const mfn = [...sim.state.listings.values()].filter((l) => sim.state.quantityOf(l.sku) !== null).slice(0, nStock);
    if (mfn.length < nStock) throw new Error(`only ${mfn.length} merchant-fulfilled listings to change`);
    const changes = mfn.map((l, i) => ({ sku: l.sku, quantity: 1000 + (i % 97) }));
    const patchesBefore = sim.requests.filter((r) => r.operation === 'patchListingsItem').length;
    t = performance.now();
    const result = await adapter.writes!.setStockBulk!(changes, { idempotencyKey: 'bench-stock' });
    const stockMs = performance.now() - t;
    const wrong = changes.filter((c) => sim.state.quantityOf(c.sku) !== c.quantity).length;
    if (result.accepted.length !== nStock || wrong > 0) throw new Error(`stock: ${result.accepted.length} accepted, ${wrong} not applied, issues ${JSON.stringify(result.issues.slice(0, 3))}`);
    const feeds = sim.requests.filter((r) => r.operation === 'createFeed').length;
    const patches = sim.requests.filter((r) => r.operation === 'patchListingsItem').length - patchesBefore;
    const pl = OPERATION_RATES.patchListingsItem;
    phases.push({ name: `push ${nStock} stock changes`, ms: stockMs, idealMs: 2000 / scale /* the simulator's feed processing time; the calls themselves are within their bursts */, ops: ['createFeedDocument', 'createFeed', 'getFeed', 'getFeedDocument'] });

    // ---- report
    const total = sim.requests.length;
    const throttled = sim.requests.filter((r) => r.status === 429).length;
    console.log('\nper operation (allowed rate = documented x scale):');
    console.log('  operation                  calls   429s   allowed/s   achieved/allowed (after burst)');
    const byOp = new Map<string, typeof sim.requests>();
    for (const r of sim.requests) byOp.set(r.operation, [...(byOp.get(r.operation) ?? []), r]);
    for (const [op, list] of byOp) {
      const rate = (OPERATION_RATES as Record<string, { ratePerSec: number; burst: number }>)[op];
      const ok = list.filter((r) => r.status !== 429);
      let fraction = '-';
      if (rate && ok.length > rate.burst) {
        const span = (ok.at(-1)!.at - ok[0]!.at) / 1000;
        fraction = span > 0 ? pct((ok.length - rate.burst) / (rate.ratePerSec * scale * span)) : '-';
      }
      const allowed = rate ? (rate.ratePerSec * scale).toFixed(3) : '-';
      // An operation far below its allowed rate was bound by latency (one page at a time), not by the plan.
      if (rate && fraction !== '-' && (ok.length - rate.burst) / (rate.ratePerSec * scale * ((ok.at(-1)!.at - ok[0]!.at) / 1000)) < 0.5) fraction += ' (latency-bound)';
      console.log(`  ${op.padEnd(26)} ${String(list.length).padStart(5)}  ${String(list.length - ok.length).padStart(5)}   ${allowed.padStart(9)}   ${fraction}`);
    }
    console.log('\nphases (time vs the least the usage plans allow):');
    for (const p of phases) {
      // A phase whose plan allows it in under 50 ms is bound by round trips, not by the usage plans.
      // Listings pages at x${scale} come far faster than one round trip: those phases are bound by latency.
      const ratio = p.rateBound ? `ratio ${(p.ms / p.idealMs).toFixed(2)}` : 'latency-bound, not rate-bound';
      console.log(`  ${p.name.padEnd(28)} ${secs(p.ms).padStart(9)}   ideal ${secs(p.idealMs).padStart(8)}   ${ratio}`);
    }
    const patchIdeal = Math.max(0, nStock - pl.burst) / pl.ratePerSec;
    console.log(`\nbulk stock: ${feeds} JSON_LISTINGS_FEED, ${patches} single patches; by feed ${secs(stockMs)}, where ${nStock} patches would need at least ${secs((patchIdeal / scale) * 1000)} at x${scale} and ${secs(patchIdeal * 1000)} at the real 5 req/s`);
    console.log(`429s: ${throttled} of ${total} calls (${pct(throttled / total)})`);
    if (sim.violations.length) console.log(`simulator model violations: ${sim.violations.length} (${sim.violations[0]})`);
  } finally {
    await throttle.close?.();
    await sim.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

// Two `switchyard worker` processes against one database and one Redis: they share the work without
// pulling anything twice (each page is fetched once per run, and no two jobs of one connection/entity
// run at once), and they draw on one throttle budget per upstream account, so the upstream's limiter
// never has to refuse them and the request rate it sees never exceeds its limit.
import { sql } from 'kysely';
import type { RouteName } from './sim/scripted/server.ts';
import { afterEach, describe, expect, test } from 'vitest';
import {
  duplicates,
  expectMirrors,
  listAll,
  liveWorkerProcesses,
  maxInWindow,
  recordArrivals,
  trackWorkerProcesses,
  submitOp,
  syncFixture,
  waitFor,
  waitForOp,
  waitForPulls,
  type SyncFixture,
  type WorkerProcess,
} from './support/sync-harness.ts';

const REDIS_URL = process.env.REDIS_URL;

let fx: SyncFixture | undefined;
const processes = trackWorkerProcesses();
const workers: WorkerProcess[] = [];
afterEach(async () => {
  await processes.killAll();
  workers.length = 0;
  await fx?.close();
  fx = undefined;
});

// The shared budget needs Redis: without REDIS_URL each process has its own in-memory buckets, which
// is the single-node deployment, not this one.
describe.skipIf(!REDIS_URL)('two worker processes sharing one database and one Redis (skipped without REDIS_URL)', () => {
  test('no page is pulled twice, no two pulls of one entity overlap, and the upstream limit holds across both processes', { timeout: 90_000 }, async () => {
    const RATE = 10;
    const BURST = 5;
    // Our bucket's burst is two below the upstream's: slack for network delays between release and arrival.
    const OUR_BURST = BURST - 2;
    fx = await syncFixture({
      sim: { rateLimit: { ratePerSec: RATE, burst: BURST, headers: true }, data: { orders: 400, products: 200, inventory: 200 } },
      settings: { page_size: 20, rate_per_sec: RATE, burst: OUR_BURST, throttle_scope: 'account' },
      workers: false,
      async beforeConnect(gw) {
        // Both processes are up before there is any work, so the work is split between them.
        for (let i = 0; i < 2; i++) {
          workers.push(processes.spawn(gw.tdb.url, { REDIS_URL: REDIS_URL!, SWITCHYARD_WORKERS: '1' }));
        }
        await waitFor('both worker processes to heart-beat', async () => (await liveWorkerProcesses(gw)).length === 2, 40_000, 100);
      },
    });
    const { gw, sim, id } = fx;
    // The connection test (GET /me) came from the gateway, outside the shared budget: start even.
    sim.resetRateLimits();
    sim.state.resetCounters();
    const arrivals = recordArrivals(sim);

    // Which pool holds each running pull job, sampled while the work runs.
    const samples: { queue: string; by: string }[][] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await sql<{ queue: string; by: string }>`
          SELECT queue_name AS queue, locked_by AS by FROM graphile_worker.jobs WHERE locked_by IS NOT NULL AND task_identifier = 'pull'`.execute(gw.tdb.db);
        samples.push(rows);
        await new Promise((r) => setTimeout(r, 40));
      }
    })();

    const writes = Array.from({ length: 6 }, (_, i) => submitOp(gw, id, 'inventory.set', { sku: `SKU-${i}`, quantity: 500 + i }, `multi-${i}`));
    const s = await waitForPulls(gw, id, new Date(0), ['orders', 'products', 'inventory'], 60_000);
    const ops = await Promise.all(writes.map(async (w) => waitForOp(gw, (await (await w).json()).id, ['succeeded', 'failed'], 30_000)));
    sampling = false;
    await sampler;

    // (Stock is not compared: the writes below change it upstream after it was pulled.)
    await expectMirrors(gw, sim, id, ['orders', 'products']);
    const levels = await listAll(gw, `/v1/inventory?connection_id=${id}`);
    expect(levels).toHaveLength(200);
    expect(duplicates(levels.map((l) => l.sku))).toEqual([]);
    expect(ops.map((o) => o.state)).toEqual(Array(6).fill('succeeded'));
    expect(sim.state.duplicateEffects()).toEqual([]);
    expect(sim.state.effectLog).toHaveLength(6);

    // Both processes pulled at the same time at some point (else the shared budget was never shared).
    const pools = new Set(samples.flat().map((r) => r.by));
    expect(pools.size).toBe(2);
    expect(samples.some((rows) => new Set(rows.map((r) => r.by)).size === 2)).toBe(true);
    // Never two running jobs of one (connection, entity).
    for (const rows of samples) expect(new Set(rows.map((r) => r.queue)).size).toBe(rows.length);

    // Each page once: one run per entity, no page read twice (products and stock, whose first run is a
    // full pass that detects deletions, also read their tail once). A request the upstream refused is
    // not a read.
    const reads = (route: RouteName) => (sim.state.calls.get(route) ?? 0) - (sim.state.throttledByRoute.get(route) ?? 0);
    expect(reads('orders.list')).toBe(20);
    expect(reads('products.list')).toBe(10 + 1);
    expect(reads('inventory.list')).toBe(10 + 1);
    expect(reads('inventory.set')).toBe(6);
    for (const e of s.entities) expect(e, e.entity).toMatchObject({ failures: 0, last_error: null });

    // One budget: the upstream refused (next to) nothing, and no window saw more than its bucket allows.
    // Two separate budgets would send up to twice the rate. (One refusal is tolerated: the two buckets'
    // clocks start a network delay apart, which the smaller burst on our side covers all but always.)
    expect(sim.state.throttled).toBeLessThanOrEqual(1);
    expect(arrivals.length).toBe(sim.state.totalCalls());
    expect(maxInWindow(arrivals, 1_000)).toBeLessThanOrEqual(BURST + RATE + 1);
    expect(maxInWindow(arrivals, 3_000)).toBeLessThanOrEqual(BURST + 3 * RATE + 1);
    // And the budget was the constraint: the requests took about as long as the rate demands.
    const span = (Math.max(...arrivals) - Math.min(...arrivals)) / 1000;
    expect(span).toBeGreaterThanOrEqual(((arrivals.length - BURST) / RATE) * 0.9);
    for (const w of workers) expect(w.output()).toBe('');
  });
});

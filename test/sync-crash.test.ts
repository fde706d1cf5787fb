// Crash safety with real worker processes: `switchyard worker` is SIGKILLed while a pull page or a write
// is in flight, another worker process takes over once the dead one's heartbeat is stale, and the
// outcome is as if nothing had happened: every record stored once, every page committed once, every
// write applied upstream exactly once, the checkpoint closed.
import { afterEach, describe, expect, test } from 'vitest';
import {
  checkpoint,
  expectMirrors,
  faultOnNth,
  liveWorkerProcesses,
  trackWorkerProcesses,
  submitOp,
  syncFixture,
  waitFor,
  waitForOp,
  waitForPulls,
  type SyncFixture,
  type WorkerProcess,
} from './support/sync-harness.ts';

let fx: SyncFixture | undefined;
const processes = trackWorkerProcesses();
afterEach(async () => {
  await processes.killAll();
  await fx?.close();
  fx = undefined;
});

const worker = (f: SyncFixture): WorkerProcess => processes.spawn(f.gw.tdb.url);

describe('a worker process killed mid-flight', () => {
  test('mid-pull: the next process resumes at the page that was in flight; every record once, every page committed once', { timeout: 60_000 }, async () => {
    fx = await syncFixture({ sim: { rateLimit: false, data: { orders: 300, products: 0, inventory: 0 } }, settings: { page_size: 50 }, workers: false });
    const { gw, sim, id } = fx;
    // Page 3 hangs long enough for the kill to land while it is in flight.
    faultOnNth(sim, 'orders.list', 3, { kind: 'hang', ms: 3_000 });
    const a = worker(fx);
    // The engine reads the next page while it stores the current one: page 3 is asked for while page 2
    // is being stored, so the kill waits for page 2's commit too.
    await waitFor('page 3 to be in flight', async () => (sim.state.calls.get('orders.list') ?? 0) >= 3 && (await checkpoint(gw, id, 'orders')).pages_pulled >= 2, 30_000);
    await a.kill('SIGKILL');
    const mid = await checkpoint(gw, id, 'orders');
    expect(mid).toMatchObject({ pages_pulled: 2, records_pulled: 100, watermark: null });
    expect(mid.run_id).not.toBeNull();
    expect(mid.run_cursor).not.toBeNull();

    worker(fx);
    const s = await waitForPulls(gw, id, new Date(0), ['orders', 'products', 'inventory'], 40_000);
    await expectMirrors(gw, sim, id, ['orders']);
    const done = await checkpoint(gw, id, 'orders');
    expect(done).toMatchObject({ run_id: null, run_cursor: null, pages_pulled: 6, records_pulled: 300 });
    expect(done.watermark).toBeInstanceOf(Date);
    expect(s.entities.find((e) => e.entity === 'orders')).toMatchObject({ failures: 0, run_in_progress: false });
    // Pages 1-2 and the lost page 3 by the first process; pages 3-6 by the second.
    expect(sim.state.calls.get('orders.list')).toBe(7);
    expect(a.output()).toBe('');
  });

  test('mid-write: the upstream applied the write but its answer died with the process; the next process completes it with no second effect', { timeout: 60_000 }, async () => {
    fx = await syncFixture({ sim: { rateLimit: false, data: { orders: 10, products: 10, inventory: 10 } }, workers: false });
    const { gw, sim, id } = fx;
    const a = worker(fx);
    await waitForPulls(gw, id, new Date(0), ['orders', 'products', 'inventory'], 30_000);

    // The write hangs upstream; the process is killed while it waits; then the upstream applies it
    // and drops the (already dead) connection.
    sim.faults.hangNext(1, 1_500, { routes: ['shipments.create'] }).failAfterEffectNext(1, { routes: ['shipments.create'] });
    const key = 'crash-ship-1';
    const submitted = submitOp(gw, id, 'shipment.create', { order_external_id: '100000002', lines: [{ external_line_id: '100000002-1', sku: 'SKU-1', quantity: 1 }], tracking_number: 'CRASH-1' }, key);
    await waitFor('the write to be in flight', () => sim.state.attempts.get(key) === 1, 20_000);
    await a.kill('SIGKILL');
    await waitFor('the upstream to apply the write', () => sim.state.effects.get(key) === 1);
    const res = await submitted;
    expect(res.status).toBe(202);
    const op = await res.json();

    worker(fx);
    const done = await waitForOp(gw, op.id, ['succeeded', 'failed'], 40_000);
    expect(done).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(done.result.external_id).toMatch(/^SH-/);
    expect(sim.state.effects.get(key)).toBe(1);
    expect(sim.state.attempts.get(key)).toBe(2);
    expect(sim.state.duplicateEffects()).toEqual([]);
    const order = sim.state.orders.get('100000002')!;
    expect(order.shipments.filter((s) => s.tracking_number === 'CRASH-1')).toHaveLength(1);
    expect(order.items[0]!.qty_shipped).toBe(1);
    expect(await liveWorkerProcesses(gw)).toHaveLength(1);
  });
});

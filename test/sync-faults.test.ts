// Pulls under upstream faults: 429 bursts with and without rate headers, 500/503, timeouts, dropped
// connections, malformed bodies and a token that expires mid-run. Each run must end with the upstream's
// data stored exactly once, the faults costing only the retries they need; and a throttle that starts
// too fast must learn the upstream's rate so its 429s stop.
import { afterEach, describe, expect, test } from 'vitest';
import type { RouteName } from './sim/scripted/server.ts';
import { expectMirrors, faultOnNth, onNth, requestSync, status, submitOp, syncFixture, waitFor, waitForOp, waitForPulls, type SyncFixture } from './support/sync-harness.ts';

let fx: SyncFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const pages = (n: number, size: number) => Math.max(1, Math.ceil(n / size));

describe('pulls under upstream faults', () => {
  test.each([
    ['with retry-after and rate headers', true],
    ['without any rate headers', false],
  ])('a burst of 429s %s delays the run but costs no failure and no data', async (_name, headers) => {
    fx = await syncFixture({
      sim: { rateLimit: { enabled: false, headers }, data: { orders: 120, products: 0, inventory: 0 } },
      settings: { page_size: 40 },
      workers: false,
    });
    const { gw, sim, id } = fx;
    // Pages 2 and 3 meet 429s (the first two answers on page 2, then one on page 3).
    faultOnNth(sim, 'orders.list', 2, { kind: 'throttle', retryAfterSec: 1 }, 3);
    await gw.engine.startWorkers(2);
    const s = await waitForPulls(gw, id, new Date(0), ['orders']);
    await expectMirrors(gw, sim, id, ['orders']);
    expect(sim.state.throttled).toBe(3);
    expect(sim.state.calls.get('orders.list')).toBe(pages(120, 40) + 3);
    expect(s.entities.find((e) => e.entity === 'orders')).toMatchObject({ failures: 0, last_error: null, records_pulled: 120 });
  });

  test('500, 503, a dropped connection, a malformed body and a timeout each cost one retry; the run stores every record once', async () => {
    fx = await syncFixture({
      sim: { rateLimit: false, data: { orders: 150, products: 90, inventory: 90 } },
      settings: { page_size: 30, timeout_ms: 400 },
      workers: false,
    });
    const { gw, sim, id } = fx;
    const armed: [RouteName, number, Parameters<typeof faultOnNth>[3]][] = [
      ['orders.list', 2, { kind: 'error500' }],
      ['orders.list', 4, { kind: 'error503' }],
      ['products.list', 2, { kind: 'drop' }],
      ['products.list', 3, { kind: 'malformed' }],
      ['inventory.list', 2, { kind: 'hang', ms: 2_000 }],
    ];
    const faults = armed.map(([route, nth, rule]) => faultOnNth(sim, route, nth, rule));
    await gw.engine.startWorkers(2);
    const s = await waitForPulls(gw, id, new Date(0));
    expect(faults.map((f) => f.fired())).toEqual([1, 1, 1, 1, 1]);
    await expectMirrors(gw, sim, id);
    // Every page once, plus one repeat per fault; products and inventory also read their tail once
    // (a first pull is a full pass, and they detect deletions).
    expect(sim.state.calls.get('orders.list')).toBe(pages(150, 30) + 2);
    expect(sim.state.calls.get('products.list')).toBe(pages(90, 30) + 1 + 2);
    expect(sim.state.calls.get('inventory.list')).toBe(pages(90, 30) + 1 + 1);
    for (const e of s.entities) expect(e, e.entity).toMatchObject({ failures: 0, last_error: null, run_in_progress: false });
    expect(s.entities.map((e) => e.records_pulled)).toEqual([90, 90, 150]);
  });

  test('a token that expires mid-run is renewed without failing the run; a write under the renewed token applies once', async () => {
    fx = await syncFixture({
      sim: { rateLimit: false, requireToken: true, data: { orders: 200, products: 0, inventory: 5 } },
      settings: { page_size: 40, auth: 'token' },
      workers: false,
    });
    const { gw, sim, id } = fx;
    onNth(sim, 'orders.list', 3, () => sim.faults.expireTokens());
    await gw.engine.startWorkers(2);
    const s = await waitForPulls(gw, id, new Date(0));
    await expectMirrors(gw, sim, id);
    const expired = sim.state.log.filter((r) => r.status === 401);
    expect(expired.length).toBeGreaterThanOrEqual(1);
    // Each 401 was answered by renewing the token and asking again: one page read twice per 401.
    expect(sim.state.calls.get('orders.list')).toBe(pages(200, 40) + expired.length);
    expect(s.connection.status).toBe('active');
    for (const e of s.entities) expect(e, e.entity).toMatchObject({ failures: 0, last_error: null });

    sim.faults.expireTokens();
    const res = await submitOp(gw, id, 'inventory.set', { sku: 'SKU-2', quantity: 77 }, 'token-write-1');
    const op = res.status === 200 ? await res.json() : await waitForOp(gw, (await res.json()).id);
    expect(op.state).toBe('succeeded');
    expect(sim.state.effects.get('token-write-1')).toBe(1);
    expect(sim.state.inventory.get('SKU-2@default')!.quantity).toBe(77);
  });

  test('a throttle seeded too fast learns the rate from the headers: the 429s stop', async () => {
    fx = await syncFixture({
      sim: { rateLimit: { ratePerSec: 10, burst: 5, headers: true }, data: { orders: 300, products: 100, inventory: 100 } },
      // Ten times the upstream's rate; one bucket for the account, as the upstream has.
      settings: { page_size: 10, rate_per_sec: 100, burst: 5, throttle_scope: 'account' },
      workers: false,
    });
    const { gw, sim, id } = fx;
    sim.resetRateLimits();
    sim.state.resetCounters();
    await gw.engine.startWorkers(3);
    const s = await waitForPulls(gw, id, new Date(0), ['orders', 'products', 'inventory'], 40_000);
    await expectMirrors(gw, sim, id);
    const log = sim.state.log;
    const statuses = log.map((r) => r.status);
    const half = Math.floor(log.length / 2);
    // Without learning, every burst the fast bucket allows runs into the upstream's limit, all along
    // (dozens of 429s in the second half). A loaded machine can bunch a request or two behind an
    // event-loop stall, which the upstream's burst of 5 mostly absorbs.
    expect(statuses.slice(half).filter((st) => st === 429).length).toBeLessThanOrEqual(2);
    expect(sim.state.throttled).toBeLessThanOrEqual(10);
    expect(log.length).toBeGreaterThanOrEqual(pages(300, 10) + 2 * pages(100, 10));
    for (const e of s.entities) expect(e, e.entity).toMatchObject({ failures: 0, last_error: null });
  });
});

describe('the status endpoint while a pull fails', () => {
  test('shows the failure count and last error, then clears them when the run completes', async () => {
    fx = await syncFixture({ sim: { rateLimit: false, data: { orders: 60, products: 0, inventory: 0 } }, settings: { page_size: 20 }, workers: false });
    const { gw, sim, id } = fx;
    const fault = faultOnNth(sim, 'orders.list', 2, { kind: 'error503' }, Number.POSITIVE_INFINITY);
    await gw.engine.startWorkers(2);
    const failing = await waitFor('two failed attempts', async () => {
      const st = (await status(gw, id)).entities.find((e) => e.entity === 'orders')!;
      return st.failures >= 2 ? st : undefined;
    });
    expect(failing).toMatchObject({ run_in_progress: true, checkpoint: null, records_pulled: 20 });
    expect(failing.last_error).toMatch(/^upstream_unavailable: .*503/);
    fault.lift();
    const since = await requestSync(gw, id, { entities: ['orders'] });
    const s = await waitForPulls(gw, id, since, ['orders']);
    expect(s.entities.find((e) => e.entity === 'orders')).toMatchObject({ failures: 0, last_error: null, records_pulled: 60, run_in_progress: false });
    await expectMirrors(gw, sim, id, ['orders']);
  });
});

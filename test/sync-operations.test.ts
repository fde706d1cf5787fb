// Outbound operations over REST against the scripted upstream: every idempotency key has exactly one
// effect upstream whatever the faults (429, 500, 503, drops, timeouts, malformed answers, effects whose
// answer is lost); Idempotency-Key semantics; 200 within the wait, else 202 with Location; auth failures
// pause the connection's writes until new credentials resume them; rejected writes become dead letters
// at once and a replay runs them once.
import { afterEach, describe, expect, test } from 'vitest';
import type { RouteName, SimProduct } from './sim/scripted/server.ts';
import { getOp, json, status, submitOp, syncFixture, waitFor, waitForOp, waitForPulls, type SyncFixture } from './support/sync-harness.ts';

let fx: SyncFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const WRITES: RouteName[] = ['inventory.set', 'shipments.create'];
const DATA = { orders: 10, products: 10, inventory: 10 };

/** Submits and returns the operation, waiting for it past the request's own wait if needed. */
async function run(f: SyncFixture, kind: string, payload: unknown, key: string) {
  const res = await submitOp(f.gw, f.id, kind, payload, key);
  expect([200, 202], await res.clone().text()).toContain(res.status);
  const op = await res.json();
  return ['succeeded', 'failed'].includes(op.state) ? op : waitForOp(f.gw, op.id);
}

describe('writes under upstream faults', () => {
  test('429, 500, 503, a drop, a timeout, malformed answers and lost answers: each key has exactly one effect upstream', async () => {
    fx = await syncFixture({ sim: { rateLimit: false, data: DATA }, settings: { timeout_ms: 400 } });
    const { gw, sim, id } = fx;
    sim.faults
      .throttleNext(1, { routes: WRITES, retryAfterSec: 1 })
      .error500Next(1, { routes: WRITES })
      .error503Next(1, { routes: WRITES })
      .dropNext(1, { routes: WRITES })
      // Hangs past the client's timeout, then applies the write anyway.
      .hangNext(1, 500, { routes: WRITES })
      .malformedNext(2, { routes: WRITES })
      .failAfterEffectNext(2, { routes: WRITES });
    const submitted = [
      ['inventory.set', { sku: 'SKU-1', quantity: 11 }, 'f-stock-1'],
      ['shipment.create', { order_external_id: '100000002', lines: [{ external_line_id: '100000002-1', sku: 'SKU-1', quantity: 1 }], carrier: 'DHL', tracking_number: 'T-2' }, 'f-ship-2'],
      ['inventory.set', { sku: 'SKU-2', quantity: 22 }, 'f-stock-2'],
      ['shipment.create', { order_external_id: '100000003', lines: [{ external_line_id: '100000003-1', sku: 'SKU-2', quantity: 1 }], carrier: 'UPS', tracking_number: 'T-3' }, 'f-ship-3'],
      ['inventory.set', { sku: 'SKU-3', quantity: 33 }, 'f-stock-3'],
      ['shipment.create', { order_external_id: '100000004', lines: [{ external_line_id: '100000004-1', sku: 'SKU-3', quantity: 1 }], carrier: 'DHL', tracking_number: 'T-4' }, 'f-ship-4'],
    ] as const;
    const ops = await Promise.all(submitted.map(([kind, payload, key]) => run(fx!, kind, payload, key)));
    expect(ops.map((o) => [o.idempotency_key, o.state])).toEqual(submitted.map(([, , key]) => [key, 'succeeded']));
    expect(sim.state.duplicateEffects()).toEqual([]);
    for (const [, , key] of submitted) expect(sim.state.effects.get(key), key).toBe(1);
    expect(sim.state.effectLog).toHaveLength(6);
    // The faults did hit: more requests than writes.
    const attempts = [...sim.state.attempts.values()].reduce((a, b) => a + b, 0);
    expect(attempts).toBeGreaterThanOrEqual(6 + 6);
    expect(sim.faults.pending).toEqual([]);
    // The upstream's state is what was asked for, once.
    expect(['SKU-1', 'SKU-2', 'SKU-3'].map((s) => sim.state.inventory.get(`${s}@default`)!.quantity)).toEqual([11, 22, 33]);
    for (const order of ['100000002', '100000003', '100000004']) {
      const o = sim.state.orders.get(order)!;
      expect(o.shipments.filter((s) => s.tracking_number === `T-${order.slice(-1)}`), order).toHaveLength(1);
      expect(o.items[0]!.qty_shipped, order).toBe(1);
    }
    for (const o of ops) expect(o.result?.external_id, o.idempotency_key).toBeTruthy();
  });
});

describe('Idempotency-Key over REST', () => {
  test('the same key and body return the same operation without a second upstream call; another body is a 409', async () => {
    fx = await syncFixture({ sim: { rateLimit: false, data: DATA } });
    const { gw, sim, id } = fx;
    const payload = { sku: 'SKU-4', quantity: 40 };
    const first = await submitOp(gw, id, 'inventory.set', payload, 'idem-1');
    expect(first.status).toBe(200);
    const op = await first.json();
    expect(op).toMatchObject({ state: 'succeeded', idempotency_key: 'idem-1', kind: 'inventory.set', attempts: 1, payload });
    expect(first.headers.get('location')).toBe(`/v1/operations/${op.id}`);

    const again = await submitOp(gw, id, 'inventory.set', { quantity: 40, sku: 'SKU-4' }, 'idem-1');
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id: op.id, state: 'succeeded', attempts: 1 });

    const other = await submitOp(gw, id, 'inventory.set', { sku: 'SKU-4', quantity: 41 }, 'idem-1');
    expect(other.status).toBe(409);
    expect(other.headers.get('content-type')).toContain('application/problem+json');
    expect((await other.json()).errors[0].message).toContain(op.id);

    expect(sim.state.attempts.get('idem-1')).toBe(1);
    expect(sim.state.effects.get('idem-1')).toBe(1);
    expect(sim.state.inventory.get('SKU-4@default')!.quantity).toBe(40);
    const listed = await json(gw.call(`/v1/operations?connection_id=${id}&kind=inventory.set`));
    expect(listed.data.map((o: { id: string }) => o.id)).toEqual([op.id]);
  });

  test('the same body with its keys in another order is the same request', async () => {
    fx = await syncFixture({ sim: { rateLimit: false, data: DATA } });
    const { gw, sim, id } = fx;
    const first = await submitOp(gw, id, 'product.update', { sku: 'SKU-8', fields: { title: 'Eight', attributes: { color: 'red', size: 'M' } } }, 'idem-order');
    expect(first.status).toBe(200);
    const op = await first.json();
    expect(op.state).toBe('succeeded');
    const again = await submitOp(gw, id, 'product.update', { fields: { attributes: { size: 'M', color: 'red' }, title: 'Eight' }, sku: 'SKU-8' }, 'idem-order');
    expect(again.status, await again.clone().text()).toBe(200);
    expect((await again.json()).id).toBe(op.id);
    expect(sim.state.attempts.get('idem-order')).toBe(1);
    expect(sim.state.products.get('SKU-8')).toMatchObject({ name: 'Eight', attributes: { color: 'red', size: 'M', material: 'cotton' } });
  });

  test('a write that outlasts the request wait answers 202 with Location, runs once, and ends succeeded', async () => {
    fx = await syncFixture({ sim: { rateLimit: false, data: DATA } });
    const { gw, sim, id } = fx;
    // Longer than the 3 s the request waits, and than the 1.5 s after which a silent worker counts as dead.
    sim.faults.hangNext(1, 4_500, { routes: ['inventory.set'] });
    const res = await submitOp(gw, id, 'inventory.set', { sku: 'SKU-5', quantity: 55 }, 'slow-1');
    expect(res.status).toBe(202);
    const pending = await res.json();
    expect(['pending', 'running']).toContain(pending.state);
    expect(res.headers.get('location')).toBe(`/v1/operations/${pending.id}`);
    const done = await waitForOp(gw, pending.id);
    expect(done).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect(sim.state.attempts.get('slow-1')).toBe(1);
    expect(sim.state.effects.get('slow-1')).toBe(1);
    expect(sim.state.inventory.get('SKU-5@default')!.quantity).toBe(55);
  });
});

describe('auth failures', () => {
  test('a revoked key marks the connection needs_reauth and pauses its writes; new credentials resume them and each applies once', async () => {
    fx = await syncFixture({ sim: { rateLimit: false, data: DATA } });
    const { gw, sim, id } = fx;
    sim.config.apiKeys.delete('test-key');
    const a = await submitOp(gw, id, 'inventory.set', { sku: 'SKU-6', quantity: 66 }, 'auth-1');
    expect(a.status).toBe(202);
    const opA = await a.json();
    await waitFor('the connection to need re-authentication', async () => (await status(gw, id)).connection.status === 'needs_reauth');
    expect((await waitForOp(gw, opA.id, ['paused'])).last_error_kind).toBe('auth_failed');

    const b = await submitOp(gw, id, 'inventory.set', { sku: 'SKU-7', quantity: 77 }, 'auth-2');
    expect(b.status).toBe(202);
    const opB = await b.json();
    expect(await waitForOp(gw, opB.id, ['paused'])).toMatchObject({ last_error_kind: 'auth_failed', last_error: 'the connection needs new credentials', attempts: 0 });
    const paused = await status(gw, id);
    expect(paused).toMatchObject({ paused_operations: 2, pending_operations: 0 });
    expect(paused.connection.status).toBe('needs_reauth');
    // Paused writes stay paused: no upstream call for the second one, no effect for either.
    expect(sim.state.attempts.get('auth-2')).toBeUndefined();
    expect(sim.state.effects.size).toBe(0);
    // Nor do its pulls run: a sync request is refused until the connection is active again.
    expect((await gw.call(`/v1/connections/${id}/sync`, { method: 'POST', body: '{}' })).status).toBe(409);

    // A wrong key is refused and changes nothing.
    const wrong = await gw.call(`/v1/connections/${id}`, { method: 'PATCH', body: JSON.stringify({ credentials: { api_key: 'not-a-key' } }) });
    expect(wrong.status).toBe(422);
    expect((await status(gw, id)).connection.status).toBe('needs_reauth');

    sim.config.apiKeys.add('key-2');
    const patchedAt = new Date();
    const fixed = await gw.call(`/v1/connections/${id}`, { method: 'PATCH', body: JSON.stringify({ credentials: { api_key: 'key-2' } }) });
    expect(fixed.status, await fixed.clone().text()).toBe(200);
    expect((await fixed.json()).status).toBe('active');
    const [doneA, doneB] = await Promise.all([waitForOp(gw, opA.id), waitForOp(gw, opB.id)]);
    expect([doneA.state, doneB.state]).toEqual(['succeeded', 'succeeded']);
    expect(sim.state.effects.get('auth-1')).toBe(1);
    expect(sim.state.effects.get('auth-2')).toBe(1);
    expect(sim.state.duplicateEffects()).toEqual([]);
    expect(sim.state.inventory.get('SKU-6@default')!.quantity).toBe(66);
    expect(sim.state.inventory.get('SKU-7@default')!.quantity).toBe(77);
    expect(await status(gw, id)).toMatchObject({ paused_operations: 0, pending_operations: 0 });
    // Its pulls, stopped by the same refusal, run again under the new key.
    const resumed = await waitForPulls(gw, id, patchedAt);
    for (const e of resumed.entities) expect(e, e.entity).toMatchObject({ last_error: null, failures: 0 });
    expect(resumed.connection.status).toBe('active');
  });
});

describe('rejected writes', () => {
  test('a write the upstream rejects as invalid is dead-lettered at once, without retries', async () => {
    fx = await syncFixture({ sim: { rateLimit: false, data: DATA } });
    const { gw, sim, id } = fx;
    const res = await submitOp(gw, id, 'shipment.create', { order_external_id: '100000005', lines: [{ external_line_id: '100000005-1', sku: 'SKU-4', quantity: 5 }] }, 'reject-1');
    expect(res.status).toBe(200);
    const op = await res.json();
    expect(op).toMatchObject({ state: 'failed', attempts: 1, last_error_kind: 'validation' });
    expect(op.last_error).toContain('ships more than is open');
    const letters = await json(gw.call(`/v1/dead-letters?connection_id=${id}&source=operation`));
    expect(letters.data).toHaveLength(1);
    expect(letters.data[0]).toMatchObject({ operation_id: op.id, error_kind: 'validation', state: 'open', source: 'operation' });
    expect(letters.data[0].reason).toContain('ships more than is open');
    // Longer than the first transient backoff could be: still one request.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(sim.state.attempts.get('reject-1')).toBe(1);
    expect((await getOp(gw, op.id)).state).toBe('failed');
    expect((await status(gw, id)).open_dead_letters).toBe(1);
  });

  test('replaying an operation dead letter runs it once; a second replay is a conflict', async () => {
    fx = await syncFixture({ sim: { rateLimit: false, data: DATA } });
    const { gw, sim, id } = fx;
    const res = await submitOp(gw, id, 'inventory.set', { sku: 'SKU-NEW', quantity: 9 }, 'replay-1');
    const op = await res.json();
    expect(op).toMatchObject({ state: 'failed', last_error_kind: 'not_found' });
    const [letter] = (await json(gw.call(`/v1/dead-letters?connection_id=${id}&source=operation`))).data;
    expect(letter.operation_id).toBe(op.id);

    // The product now exists upstream: the write can succeed.
    const base = sim.state.products.get('SKU-1')!;
    sim.state.products.put('SKU-NEW', { ...base, id: '999', sku: 'SKU-NEW', name: 'New product' } satisfies SimProduct);
    const replay = await gw.call(`/v1/dead-letters/${letter.id}/replay`, { method: 'POST' });
    expect(replay.status, await replay.clone().text()).toBe(200);
    expect(await replay.json()).toMatchObject({ state: 'replayed', replay_count: 1 });
    const done = await waitForOp(gw, op.id);
    expect(done).toMatchObject({ state: 'succeeded', last_error: null });
    expect((await gw.call(`/v1/dead-letters/${letter.id}/replay`, { method: 'POST' })).status).toBe(409);
    expect(sim.state.attempts.get('replay-1')).toBe(2);
    expect(sim.state.effects.get('replay-1')).toBe(1);
    expect(sim.state.inventory.get('SKU-NEW@default')!.quantity).toBe(9);
    expect((await status(gw, id)).open_dead_letters).toBe(0);
  });

  test('a payload that does not validate is refused with 422 (like every body that does not validate) and never becomes an operation', async () => {
    fx = await syncFixture({ sim: { rateLimit: false, data: DATA } });
    const { gw, sim, id } = fx;
    const res = await submitOp(gw, id, 'inventory.set', { sku: 'SKU-1', quantity: -1 }, 'bad-1');
    expect(res.status).toBe(422);
    expect((await res.json()).errors).toEqual([expect.objectContaining({ path: 'payload.quantity' })]);
    expect((await json(gw.call(`/v1/operations?connection_id=${id}`))).data).toEqual([]);
    expect(sim.state.attempts.size).toBe(0);
  });
});

describe('tenancy of the sync routes', () => {
  test("another tenant sees none of a connection's status, operations or dead letters, and can neither sync, write nor replay", async () => {
    fx = await syncFixture({ sim: { rateLimit: false, data: DATA } });
    const { gw, sim, id } = fx;
    const op = await (await submitOp(gw, id, 'inventory.set', { sku: 'SKU-NOPE', quantity: 1 }, 'tenant-a-1')).json();
    expect(op.state).toBe('failed');
    const [letter] = (await json(gw.call(`/v1/dead-letters?connection_id=${id}`))).data;
    const as = { as: gw.b };
    expect((await gw.call(`/v1/connections/${id}/status`, as)).status).toBe(404);
    expect((await gw.call(`/v1/connections/${id}/sync`, { ...as, method: 'POST', body: '{}' })).status).toBe(404);
    expect((await gw.call(`/v1/operations/${op.id}`, as)).status).toBe(404);
    expect((await json(gw.call(`/v1/operations?connection_id=${id}`, as))).data).toEqual([]);
    expect((await json(gw.call(`/v1/dead-letters`, as))).data).toEqual([]);
    expect((await gw.call(`/v1/dead-letters/${letter.id}/replay`, { ...as, method: 'POST' })).status).toBe(404);
    const write = await gw.call(`/v1/connections/${id}/operations`, { ...as, method: 'POST', headers: { 'idempotency-key': 'tenant-b-1' }, body: JSON.stringify({ kind: 'inventory.set', payload: { sku: 'SKU-1', quantity: 3 } }) });
    expect(write.status).toBe(404);
    expect(sim.state.attempts.has('tenant-b-1')).toBe(false);
    expect((await getOp(gw, op.id)).state).toBe('failed');
  });
});

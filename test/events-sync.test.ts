// Events from the sync engine: pulls emit created events once (a second full pull of unchanged data
// emits nothing), operations emit succeeded/failed, refused credentials emit sync.failed and
// connection.needs_reauth, new credentials connection.recovered.
import { afterEach, expect, test } from 'vitest';
import { json, requestSync, submitOp, syncFixture, waitFor, waitForOp, waitForPulls, type SyncFixture } from './support/sync-harness.ts';

let fx: SyncFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

interface Ev {
  type: string;
  entity_id: string;
  connection_id: string | null;
  data: { object: Record<string, any> };
}

async function allEvents(f: SyncFixture, type?: string): Promise<Ev[]> {
  const out: Ev[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page: { data: Ev[]; next_cursor: string | null } = await json(f.gw.call(`/v1/events?limit=250${type ? `&type=${type}` : ''}${cursor ? `&cursor=${cursor}` : ''}`));
    out.push(...page.data);
    if (!page.next_cursor) return out;
    cursor = page.next_cursor;
  }
}

const count = (evs: Ev[], type: string) => evs.filter((e) => e.type === type).length;

test('pulls, a second full pull of the same data, writes, refused and renewed credentials: the events each one should leave', { timeout: 60_000 }, async () => {
  fx = await syncFixture({ sim: { rateLimit: false, data: { orders: 12, products: 6, inventory: 6 } } });
  const { gw, sim, id } = fx;
  await waitForPulls(gw, id, new Date(0));
  let evs = await allEvents(fx);
  expect(count(evs, 'order.created')).toBe(12);
  expect(count(evs, 'product.created')).toBe(6);
  expect(count(evs, 'inventory.changed')).toBe(6);
  expect(evs.every((e) => e.connection_id === id)).toBe(true);

  // A full pull re-reads and re-stores everything; nothing changed, so nothing is said.
  const since = await requestSync(gw, id, { full: true });
  await waitForPulls(gw, id, since);
  expect((await allEvents(fx)).length).toBe(evs.length);

  const res = await submitOp(gw, id, 'inventory.set', { sku: 'SKU-1', quantity: 42 }, 'ev-stock-1');
  const op = await res.json();
  await waitForOp(gw, op.id);
  evs = await allEvents(fx, 'operation.*');
  expect(evs.map((e) => [e.type, e.entity_id, e.data.object.kind, e.data.object.state])).toEqual([['operation.succeeded', op.id, 'inventory.set', 'succeeded']]);

  sim.config.apiKeys.delete('test-key');
  await requestSync(gw, id, { entities: ['orders'] });
  await waitFor('needs_reauth', async () => (await allEvents(fx!, 'connection.needs_reauth')).length === 1);
  evs = await allEvents(fx);
  expect(count(evs, 'sync.failed')).toBe(1);
  expect(evs.find((e) => e.type === 'sync.failed')!.data.object).toMatchObject({ connection_id: id, entity: 'orders', error_kind: 'auth_failed' });

  sim.config.apiKeys.add('key-2');
  const fixed = await gw.call(`/v1/connections/${id}`, { method: 'PATCH', body: JSON.stringify({ credentials: { api_key: 'key-2' } }) });
  expect(fixed.status).toBe(200);
  evs = await allEvents(fx, 'connection.*');
  expect(evs.map((e) => e.type)).toEqual(['connection.needs_reauth', 'connection.recovered']);
});

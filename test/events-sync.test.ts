// Events from the sync engine: pulls emit created events once (a second full pull of unchanged data
// emits nothing), operations emit succeeded/failed, refused credentials emit sync.failed and
// connection.needs_reauth, new credentials connection.recovered.
import { afterEach, expect, test } from 'vitest';
import { listEvents, writeEvents } from '../src/store/events.ts';
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

/** Waits until everything committed so far is served: a marker event (in the other tenant) shows. */
async function settle(f: SyncFixture): Promise<void> {
  const entityId = `marker-${Date.now()}`;
  await f.gw.tdb.db.transaction().execute((trx) => writeEvents(trx, [{ tenantId: f.gw.b.id, type: 'sync.failed', entityType: 'marker', entityId, data: {} }]));
  await waitFor('the log to catch up', async () => (await listEvents(f.gw.tdb.db, f.gw.b.id, { entity_id: entityId }, null, 1)).data.length === 1);
}

const count = (evs: Ev[], type: string) => evs.filter((e) => e.type === type).length;

/**
 * The events once `ready` holds: the log serves an event when every older transaction of the database
 * has finished, so one that just committed may show a moment later while pulls are running.
 */
async function eventsWhen(f: SyncFixture, ready: (evs: Ev[]) => boolean, type?: string): Promise<Ev[]> {
  return waitFor('the expected events', async () => {
    const evs = await allEvents(f, type);
    return ready(evs) ? evs : undefined;
  });
}

test('pulls, a second full pull of the same data, writes, refused and renewed credentials: the events each one should leave', { timeout: 60_000 }, async () => {
  fx = await syncFixture({ sim: { rateLimit: false, data: { orders: 12, products: 6, inventory: 6 } } });
  const { gw, sim, id } = fx;
  await waitForPulls(gw, id, new Date(0));
  let evs = await eventsWhen(fx, (e) => count(e, 'order.created') === 12 && count(e, 'product.created') === 6 && count(e, 'inventory.changed') === 6);
  expect(count(evs, 'order.created')).toBe(12);
  expect(count(evs, 'product.created')).toBe(6);
  expect(count(evs, 'inventory.changed')).toBe(6);
  expect(evs.every((e) => e.connection_id === id)).toBe(true);

  // A full pull re-reads and re-stores everything; nothing changed, so nothing is said.
  const since = await requestSync(gw, id, { full: true });
  await waitForPulls(gw, id, since);
  await settle(fx);
  expect((await allEvents(fx)).length).toBe(evs.length);

  const res = await submitOp(gw, id, 'inventory.set', { sku: 'SKU-1', quantity: 42 }, 'ev-stock-1');
  const op = await res.json();
  await waitForOp(gw, op.id);
  // An SKU the upstream does not know: refused for good, dead-lettered, operation.failed.
  const bad = await (await submitOp(gw, id, 'inventory.set', { sku: 'NO-SUCH-SKU', quantity: 1 }, 'ev-stock-bad')).json();
  const badDone = await waitForOp(gw, bad.id);
  expect(badDone.state).toBe('failed');
  evs = await eventsWhen(fx, (e) => e.length >= 2, 'operation.*');
  expect(evs.map((e) => [e.type, e.entity_id, e.data.object.kind, e.data.object.state])).toEqual([
    ['operation.succeeded', op.id, 'inventory.set', 'succeeded'],
    ['operation.failed', bad.id, 'inventory.set', 'failed'],
  ]);
  expect(evs[1]!.data.object.dead_letter_id).toMatch(/^dlq_/);

  sim.config.apiKeys.delete('test-key');
  await requestSync(gw, id, { entities: ['orders'] });
  await waitFor('needs_reauth', async () => (await allEvents(fx!, 'connection.needs_reauth')).length === 1);
  evs = await eventsWhen(fx, (e) => count(e, 'sync.failed') >= 1);
  expect(count(evs, 'sync.failed')).toBe(1);
  expect(evs.find((e) => e.type === 'sync.failed')!.data.object).toMatchObject({ connection_id: id, entity: 'orders', error_kind: 'auth_failed' });

  sim.config.apiKeys.add('key-2');
  const fixed = await gw.call(`/v1/connections/${id}`, { method: 'PATCH', body: JSON.stringify({ credentials: { api_key: 'key-2' } }) });
  expect(fixed.status).toBe(200);
  evs = await eventsWhen(fx, (e) => e.length >= 2, 'connection.*');
  expect(evs.map((e) => e.type)).toEqual(['connection.needs_reauth', 'connection.recovered']);
});

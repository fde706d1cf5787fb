// Entities are pulled independently, so a shipment can be pulled before its order. It waits as a dead
// letter and is applied in the transaction that stores the order: no full pass or manual replay needed.
// The letter is found by its exact reason, which a failed replay keeps; a shipment whose order never
// arrives is left alone (not replayed on every order pull).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { magentoAdapter } from '../../src/adapters/magento/index.ts';
import { orphanShipmentReason } from '../../src/store/orders.ts';
import { addDeadLetter } from '../../src/store/sync.ts';
import { startGateway, type TestGateway } from '../support/app.ts';
import { listAll, requestSync, waitForPulls } from '../support/sync-harness.ts';
import { startMagentoSim, type MagentoSim } from '../sim/magento/index.ts';

let sim: MagentoSim;
let gw: TestGateway;
let id: string;

beforeAll(async () => {
  sim = await startMagentoSim({ seed: { simples: 10, configurables: 2, orders: 20, customers: 3, categories: 2 } });
  gw = await startGateway({ adapters: [magentoAdapter] });
  const res = await gw.call('/v1/connections', {
    method: 'POST',
    body: JSON.stringify({
      channel: 'magento',
      name: 'Orphans',
      settings: { base_url: sim.url, store_code: 'default', page_size: 20, rate_per_sec: 200, burst: 50 },
      credentials: { type: 'oauth1', ...sim.credentials.oauth1 },
    }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  id = ((await res.json()) as { id: string }).id;
  // Orders are refused until the test lifts the fault, so shipments are stored first.
  sim.faults.failNext(503, 1_000_000, '/V1/orders');
  await gw.engine.startWorkers(2);
}, 30_000);

afterAll(async () => {
  await sim?.stop();
  await gw?.close();
});

interface Letter {
  id: string;
  external_id: string;
  reason: string;
  state: string;
  replay_count: number;
}

test('shipments pulled before their orders are stored when the orders arrive; one whose order never comes waits untouched', async () => {
  expect(sim.state.shipments.length).toBeGreaterThan(1);
  const early = await waitForPulls(gw, id, await requestSync(gw, id, { entities: ['shipments'] }), ['shipments'], 40_000);
  expect(early.entities.find((e) => e.entity === 'orders')?.last_success_at ?? null).toBeNull();
  expect(early.open_dead_letters).toBe(sim.state.shipments.length);
  expect(await listAll(gw, `/v1/shipments?connection_id=${id}`)).toHaveLength(0);

  // Each letter carries the exact reason the order's arrival looks for.
  const orderOf = new Map(sim.state.shipments.map((s) => [String(s.entity_id), String(s.order_id)]));
  const letters = await listAll<Letter>(gw, `/v1/dead-letters?connection_id=${id}&state=open`);
  expect(letters.map((l) => l.reason).sort()).toEqual(letters.map((l) => orphanShipmentReason(orderOf.get(l.external_id)!)).sort());

  // A replay while the order is still missing fails and keeps that reason word for word.
  const replayed = letters[0]!;
  const replay = await gw.call(`/v1/dead-letters/${replayed.id}/replay`, { method: 'POST' });
  expect(replay.status).toBe(422);
  const afterReplay = await listAll<Letter>(gw, `/v1/dead-letters?connection_id=${id}&state=open`);
  expect(afterReplay.find((l) => l.id === replayed.id)).toMatchObject({ reason: orphanShipmentReason(orderOf.get(replayed.external_id)!), replay_count: 1 });

  // One order (of another shipment) disappears upstream: its shipments will wait for it.
  const lostOrder = Number(orderOf.get(letters.find((l) => orderOf.get(l.external_id) !== orderOf.get(replayed.external_id))!.external_id));
  sim.state.orders = sim.state.orders.filter((o) => o.entity_id !== lostOrder);
  sim.state.ordersById.delete(lostOrder);
  const waiting = sim.state.shipments.filter((s) => s.order_id === lostOrder).map((s) => String(s.entity_id));

  sim.faults.clear();
  const late = await waitForPulls(gw, id, await requestSync(gw, id, { entities: ['orders'] }), ['orders'], 40_000);
  expect(late.open_dead_letters).toBe(waiting.length);
  const shipments = await listAll(gw, `/v1/shipments?connection_id=${id}`);
  expect(shipments.map((s) => s.external_id).sort()).toEqual(sim.state.shipments.filter((s) => s.order_id !== lostOrder).map((s) => String(s.entity_id)).sort());
  // The waiting ones were not replayed by the order pull: only their own order's arrival adopts them.
  // (Pulls of one entity run one after another, so once a second one finished, whatever the first did
  // after storing its records is done too.)
  await waitForPulls(gw, id, await requestSync(gw, id, { entities: ['orders'] }), ['orders'], 40_000);
  const open = await listAll<Letter>(gw, `/v1/dead-letters?connection_id=${id}&state=open`);
  expect(open.map((l) => ({ external_id: l.external_id, replay_count: l.replay_count, reason: l.reason })).sort((a, b) => a.external_id.localeCompare(b.external_id))).toEqual(
    waiting.sort().map((external_id) => ({ external_id, replay_count: 0, reason: orphanShipmentReason(String(lostOrder)) })),
  );
});

test('a shipment left waiting although its order was stored (both pulled at once) is adopted when the order is read again', async () => {
  const db = gw.tdb.db;
  const stored = await db.selectFrom('shipments').select(['id', 'external_id', 'raw', 'order_id']).where('connection_id', '=', id).orderBy('external_id').executeTakeFirstOrThrow();
  const order = await db.selectFrom('orders').select('external_id').where('id', '=', stored.order_id).executeTakeFirstOrThrow();
  const before = (await listAll<Letter>(gw, `/v1/dead-letters?connection_id=${id}&state=open`)).length;
  // What two concurrent pulls can leave: the shipment's transaction did not see the order's, the
  // order's did not see the letter. The shipment is not stored; its letter waits with the exact reason.
  await db.deleteFrom('shipments').where('id', '=', stored.id).execute();
  await addDeadLetter(db, { tenantId: gw.a.id, connectionId: id, source: 'pull', entity: 'shipments', externalId: stored.external_id, errorKind: 'validation', reason: orphanShipmentReason(order.external_id), payload: stored.raw });
  expect((await listAll<Letter>(gw, `/v1/dead-letters?connection_id=${id}&state=open`)).length).toBe(before + 1);

  const after = await waitForPulls(gw, id, await requestSync(gw, id, { entities: ['orders'], full: true }), ['orders'], 40_000);
  expect(after.open_dead_letters).toBe(before);
  const shipments = await listAll(gw, `/v1/shipments?connection_id=${id}`);
  expect(shipments.map((s) => s.external_id)).toContain(stored.external_id);
});

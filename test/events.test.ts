// The event log: events are written in the transaction of the change (and only when something changed),
// roll back with it, page by cursor without skipping an event that commits late, and stay per tenant.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { upsertProducts } from '../src/store/catalog.ts';
import { updateConnection } from '../src/store/connections.ts';
import { listEvents, writeEvents } from '../src/store/events.ts';
import { createTenant } from '../src/store/tenancy.ts';
import { waitFor } from './support/sync-harness.ts';
import { upsertInventory } from '../src/store/inventory.ts';
import { upsertOrders, upsertShipments, type ConnectionRef } from '../src/store/orders.ts';
import { startGateway, type TestGateway } from './support/app.ts';
import { inventoryInput, orderInput, productInput, seedConnection, shipmentInput, testBox } from './support/seed.ts';

let gw: TestGateway;
let ref: ConnectionRef;

interface Ev {
  id: string;
  type: string;
  entity_type: string;
  entity_id: string;
  connection_id: string | null;
  data: { object: Record<string, any>; previous?: Record<string, any> | null };
}
interface EvPage {
  data: Ev[];
  next_cursor: string | null;
  resume_cursor: string | null;
}

async function events(query = '', as = gw.a): Promise<EvPage> {
  const res = await gw.call(`/v1/events${query}`, { as });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as EvPage;
}

let markerTenant = '';

/**
 * Waits until everything committed so far is served. The log serves an event once every older write
 * transaction of the cluster has finished (other test files' included), so a marker event is written
 * now, in a tenant of its own, and awaited: once it shows, every transaction committed before it does.
 */
async function settle(): Promise<void> {
  const entityId = `marker-${Date.now()}-${Math.random()}`;
  await gw.tdb.db.transaction().execute((trx) => writeEvents(trx, [{ tenantId: markerTenant, type: 'sync.failed', entityType: 'marker', entityId, data: {} }]));
  await waitFor('the log to catch up', async () => (await listEvents(gw.tdb.db, markerTenant, { entity_id: entityId }, null, 1)).data.length === 1, 20_000, 20);
}

/** Every event after `cursor`, following next_cursor; returns them and where to resume. */
async function drain(cursor: string | null, extra = '', settled = true): Promise<{ all: Ev[]; resume: string | null }> {
  if (settled) await settle();
  const all: Ev[] = [];
  let resume = cursor;
  for (;;) {
    const page = await events(`?limit=3${extra}${resume ? `&cursor=${resume}` : ''}`);
    all.push(...page.data);
    resume = page.resume_cursor;
    if (!page.next_cursor) return { all, resume };
  }
}

beforeAll(async () => {
  gw = await startGateway();
  const con = await seedConnection(gw.tdb.db, gw.a.id);
  ref = { tenantId: gw.a.id, connectionId: con.id, channel: con.channel };
  markerTenant = (await createTenant(gw.tdb.db, 'markers')).id;
});
afterAll(async () => gw?.close());

describe('events written with the change', () => {
  let cursor: string | null = null;

  test('orders: created once; a re-upsert of the same data is no event; a status change is order.updated plus order.shipped, with the previous values', async () => {
    const o1 = orderInput(1);
    const o2 = orderInput(2);
    await upsertOrders(gw.tdb.db, ref, [o1, o2]);
    let got = await drain(cursor);
    expect(got.all.map((e) => e.type)).toEqual(['order.created', 'order.created']);
    expect(got.all[0]!.data.object).toMatchObject({ external_id: 'EXT-1', connection_id: ref.connectionId, status: 'processing' });
    expect(got.all[0]!.data.object.lines).toHaveLength(3);
    expect(got.all[0]!.connection_id).toBe(ref.connectionId);
    cursor = got.resume;

    // The same data again, even with a newer updated_at, changes nothing a client can see.
    await upsertOrders(gw.tdb.db, ref, [o1, { ...o2, updated_at: '2026-01-02T00:00:00.000Z' }]);
    got = await drain(cursor);
    expect(got.all).toEqual([]);
    expect(got.resume).toBe(cursor);

    await upsertOrders(gw.tdb.db, ref, [{ ...o1, status: 'shipped', channel_status: 'complete', updated_at: '2026-01-03T00:00:00.000Z' }]);
    got = await drain(cursor);
    expect(got.all.map((e) => e.type)).toEqual(['order.updated', 'order.shipped']);
    expect(got.all[0]!.data.previous).toEqual({ status: 'processing', channel_status: 'processing' });
    expect(got.all[0]!.data.object.status).toBe('shipped');
    expect(got.all[1]!.entity_id).toBe(got.all[0]!.entity_id);
    cursor = got.resume;

    await upsertOrders(gw.tdb.db, ref, [{ ...o2, status: 'canceled', channel_status: 'canceled', updated_at: '2026-01-04T00:00:00.000Z' }]);
    got = await drain(cursor);
    expect(got.all.map((e) => e.type)).toEqual(['order.updated', 'order.canceled']);
    cursor = got.resume;

    // An older version is stale: not stored, no event.
    await upsertOrders(gw.tdb.db, ref, [{ ...o1, status: 'processing', updated_at: '2025-12-01T00:00:00.000Z' }]);
    expect((await drain(cursor)).all).toEqual([]);
  });

  test('shipments, products and stock: created and changed emit, unchanged does not', async () => {
    await upsertShipments(gw.tdb.db, ref, [shipmentInput(1)]);
    await upsertShipments(gw.tdb.db, ref, [shipmentInput(1)]);
    await upsertProducts(gw.tdb.db, ref, [productInput(1, 2)]);
    await upsertProducts(gw.tdb.db, ref, [{ ...productInput(1, 2), updated_at: '2026-02-01T00:00:00.000Z' }]);
    await upsertProducts(gw.tdb.db, ref, [{ ...productInput(1, 2), title: 'Renamed', updated_at: '2026-02-02T00:00:00.000Z' }]);
    await upsertInventory(gw.tdb.db, ref, [inventoryInput(1)]);
    await upsertInventory(gw.tdb.db, ref, [{ ...inventoryInput(1), updated_at: '2026-02-01T00:00:00.000Z' }]);
    await upsertInventory(gw.tdb.db, ref, [{ ...inventoryInput(1), on_hand: 3, available: 2, updated_at: '2026-02-02T00:00:00.000Z' }]);
    const { all } = await drain(null, '&type=shipment.*,product.*,inventory.changed');
    expect(all.map((e) => e.type)).toEqual(['shipment.created', 'product.created', 'product.updated', 'inventory.changed', 'inventory.changed']);
    expect(all[2]!.data.previous).toEqual({ title: 'Product 1' });
    expect(all[2]!.data.object.variants).toHaveLength(2);
    expect(all[3]!.data.previous).toBeNull();
    expect(all[4]!.data.previous).toEqual({ on_hand: 11, available: 10 });
    expect(all[4]!.data.object).toMatchObject({ sku: 'SKU-1', on_hand: 3, available: 2 });
  });

  test('stock read again with the same values is not rewritten: no row write, reported unchanged (not stale); an older read is stale', async () => {
    const db = gw.tdb.db;
    const first = await upsertInventory(db, ref, [inventoryInput(70), inventoryInput(71)]);
    expect([...first.written.values()].every((w) => w.inserted)).toBe(true);
    // xmin is the id of the transaction that last wrote the row: it moves on any rewrite, equal values or not.
    const xmins = async () => (await sql<{ external_id: string; xmin: string }>`SELECT external_id, xmin::text FROM inventory_levels WHERE connection_id = ${ref.connectionId} AND sku IN ('SKU-70', 'SKU-71') ORDER BY external_id`.execute(db)).rows;
    const before = await xmins();
    const again = await upsertInventory(db, ref, [
      { ...inventoryInput(70), updated_at: '2026-03-01T00:00:00.000Z' },
      { ...inventoryInput(71), on_hand: 5, available: 4, updated_at: '2026-03-01T00:00:00.000Z' },
    ]);
    expect(again.unchanged).toEqual(['SKU-70@default']);
    expect([...again.written.keys()]).toEqual(['SKU-71@default']);
    expect(again.stale).toEqual([]);
    const after = await xmins();
    expect(after[0]).toEqual(before[0]);
    expect(after[1]!.xmin).not.toBe(before[1]!.xmin);
    // A read older than the stored one is stale, even with other values.
    const old = await upsertInventory(db, ref, [{ ...inventoryInput(71), on_hand: 1, available: 0, updated_at: '2026-01-01T00:00:00.000Z' }]);
    expect(old.stale).toEqual(['SKU-71@default']);
    expect(old.unchanged).toEqual([]);
  });

  test('a change rolled back takes its events with it', async () => {
    const before = (await drain(null)).all.length;
    await expect(
      gw.tdb.db.transaction().execute(async (trx) => {
        await upsertOrders(trx, ref, [orderInput(50)]);
        await upsertInventory(trx, ref, [inventoryInput(50)]);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const after = await drain(null);
    expect(after.all.length).toBe(before);
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM orders WHERE external_id = 'EXT-50'`.execute(gw.tdb.db);
    expect(rows[0]!.n).toBe(0);
  });

  test('connection status: needs_reauth and recovered, once each', async () => {
    await updateConnection(gw.tdb.db, testBox, ref.tenantId, ref.connectionId, { status: 'needs_reauth', last_error: 'refused' });
    await updateConnection(gw.tdb.db, testBox, ref.tenantId, ref.connectionId, { status: 'needs_reauth', last_error: 'refused again' });
    await updateConnection(gw.tdb.db, testBox, ref.tenantId, ref.connectionId, { status: 'active' });
    await updateConnection(gw.tdb.db, testBox, ref.tenantId, ref.connectionId, { name: 'Renamed' });
    const { all } = await drain(null, '&type=connection.*');
    expect(all.map((e) => [e.type, e.entity_id, e.data.previous?.status])).toEqual([
      ['connection.needs_reauth', ref.connectionId, 'active'],
      ['connection.recovered', ref.connectionId, 'needs_reauth'],
    ]);
  });

  test('writeEvents refuses to run outside a transaction', async () => {
    await expect(writeEvents(gw.tdb.db, [{ tenantId: ref.tenantId, type: 'order.created', entityType: 'order', entityId: 'x', data: {} }])).rejects.toThrow(/transaction/);
  });
});

describe('reading the log', () => {
  test('filters by type pattern, entity and connection; another tenant sees nothing', async () => {
    const orders = await drain(null, '&type=order.*');
    expect(orders.all.length).toBeGreaterThan(0);
    expect(orders.all.every((e) => e.type.startsWith('order.'))).toBe(true);
    const one = orders.all.find((e) => e.type === 'order.shipped')!.entity_id;
    const forOne = await drain(null, `&entity_id=${one}`);
    expect(forOne.all.map((e) => e.type)).toEqual(['order.created', 'order.updated', 'order.shipped']);
    expect((await drain(null, `&connection_id=con_01JD3X8Y6Z7QK2M4N5P6R7S8T9`)).all).toEqual([]);
    expect((await events('', gw.b)).data).toEqual([]);
    const ev = await gw.call(`/v1/events/${one.replace(/^ord/, 'evt')}`);
    expect(ev.status).toBe(404);
    const byId = await gw.call(`/v1/events/${orders.all[0]!.id}`);
    expect(((await byId.json()) as Ev).type).toBe('order.created');
    expect((await gw.call(`/v1/events/${orders.all[0]!.id}`, { as: gw.b })).status).toBe(404);
  });

  test('bad cursors and unknown types are 400s', async () => {
    expect((await gw.call('/v1/events?cursor=nonsense')).status).toBe(400);
    expect((await gw.call('/v1/events?type=order.exploded')).status).toBe(400);
  });

  test('an event committed late is served after the ones before it, never skipped by a cursor', async () => {
    const start = (await drain(null)).resume;
    // T1 writes first and stays open; T2 writes after and commits.
    const t1 = await gw.tdb.pool.connect();
    try {
      await t1.query('BEGIN');
      await t1.query(
        `INSERT INTO events (id, tenant_id, type, entity_type, entity_id, ordering_key, data) VALUES ('evt_01JD3X8Y6Z7QK2M4N5P6R7S8T1', $1, 'order.updated', 'order', 'ord_late', 'ord_late', '{}')`,
        [ref.tenantId],
      );
      await upsertOrders(gw.tdb.db, ref, [orderInput(60)]);
      // T2's event is committed but not served while the older T1 runs: a cursor past it would skip T1's.
      const meanwhile = await drain(start, '', false);
      expect(meanwhile.all).toEqual([]);
      await t1.query('COMMIT');
    } finally {
      t1.release();
    }
    const after = await drain(start);
    expect(after.all.map((e) => e.entity_id)).toEqual(['ord_late', expect.stringMatching(/^ord_/)]);
  });
});

describe('GraphQL', () => {
  test('events(first, after, type) pages the same log', async () => {
    await settle();
    const query = `query($after: String) { events(first: 2, after: $after, type: ["order.*"]) { nodes { id type entity_id connection { id } data } pageInfo { hasNextPage endCursor } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 20; i++) {
      const res = await gw.call('/graphql', { method: 'POST', body: JSON.stringify({ query, variables: { after } }) });
      const body = (await res.json()) as { data: { events: { nodes: { id: string; type: string; entity_id: string; connection: { id: string } | null }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } }; errors?: unknown };
      expect(body.errors).toBeUndefined();
      for (const n of body.data.events.nodes) {
        expect(n.type).toMatch(/^order\./);
        // (ord_late is the hand-written event of the late-commit test, with no connection.)
        expect(n.connection?.id ?? null).toBe(n.entity_id === 'ord_late' ? null : ref.connectionId);
        seen.push(n.id);
      }
      after = body.data.events.pageInfo.endCursor;
      if (!body.data.events.pageInfo.hasNextPage) break;
    }
    expect(seen).toEqual((await drain(null, '&type=order.*')).all.map((e) => e.id));
    expect(seen.length).toBeGreaterThan(4);
  });
});

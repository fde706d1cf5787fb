// What a pulled page leaves in sync_staging: every record's own payload and outcome, whether the payload
// is sent with the page (dead, stale, a duplicate that lost) or copied from the row just stored.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChannelAdapter, Entity, NormalizedByEntity, RawRecord } from '../src/core/ports.ts';
import { applyRecords } from '../src/core/sync/pull.ts';
import { createTenant } from '../src/store/tenancy.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';
import { inventoryInput, orderInput, seedConnection } from './support/seed.ts';

let tdb: TestDatabase;
let tenantId = '';
let connectionId = '';

beforeAll(async () => {
  tdb = await createTestDatabase();
  tenantId = (await createTenant(tdb.db, 'staging')).id;
  connectionId = (await seedConnection(tdb.db, tenantId)).id;
});
afterAll(async () => {
  await tdb?.drop();
});

/** Payloads carry the canonical input they normalize to; `bad` ones cannot be normalized. */
const adapter = {
  normalize<E extends Entity>(_entity: E, r: RawRecord): NormalizedByEntity[E] {
    const p = r.payload as { bad?: boolean; input: NormalizedByEntity[E] };
    if (p.bad) throw new Error('unreadable');
    return p.input;
  },
} as unknown as ChannelAdapter;

async function apply(entity: Entity, runId: string, records: RawRecord[]) {
  const job = { tenantId, connectionId, channel: 'scripted', entity, full: false };
  return tdb.db.transaction().execute((trx) => applyRecords(trx, adapter, job, runId, records, { keepGoing: () => true }));
}

async function staged(runId: string) {
  const { rows } = await sql<{ external_id: string; payload: unknown; outcome: string; upstream_updated_at: Date | null }>`
    SELECT external_id, payload, outcome, upstream_updated_at FROM sync_staging WHERE run_id = ${runId} ORDER BY id`.execute(tdb.db);
  return rows;
}

describe('staging of a pulled page', () => {
  test('orders: applied, duplicate, stale and dead records each keep their own payload', async () => {
    const newer = { ...orderInput(3), updated_at: '2026-06-01T00:00:00.000Z' };
    await apply('orders', 'run_seed', [{ external_id: 'EXT-3', updated_at: newer.updated_at, payload: { v: 'stored', input: newer } }]);

    const older2 = orderInput(2);
    const newer2 = { ...orderInput(2), updated_at: '2026-05-01T00:00:00.000Z', channel_status: 'holded' };
    const records: RawRecord[] = [
      { external_id: 'EXT-1', updated_at: orderInput(1).updated_at, payload: { v: 'one', nested: { a: [1, 2, { b: null }] }, input: orderInput(1) } },
      // The newer version comes first in the page: the older one after it is the page's duplicate.
      { external_id: 'EXT-2', updated_at: newer2.updated_at, payload: { v: 'two-new', input: newer2 } },
      { external_id: 'EXT-2', updated_at: older2.updated_at, payload: { v: 'two-old', input: older2 } },
      { external_id: 'EXT-3', updated_at: orderInput(3).updated_at, payload: { v: 'stale', input: orderInput(3) } },
      { external_id: 'EXT-4', updated_at: null, payload: { v: 'dead', bad: true } },
    ];
    const dead = await apply('orders', 'run_orders', records);
    expect(dead).toBe(1);
    const rows = await staged('run_orders');
    expect(rows.map((r) => [r.external_id, r.payload, r.outcome])).toEqual(records.map((r) => [r.external_id, r.payload, expect.any(String)]));
    expect(Object.fromEntries(rows.map((r) => [`${r.external_id}/${(r.payload as { v: string }).v}`, r.outcome]))).toEqual({
      'EXT-1/one': 'applied',
      'EXT-2/two-new': 'applied',
      'EXT-2/two-old': 'applied',
      'EXT-3/stale': 'stale',
      'EXT-4/dead': 'dead',
    });
    expect(rows[0]!.upstream_updated_at?.toISOString()).toBe(orderInput(1).updated_at);
    expect(rows[4]!.upstream_updated_at).toBeNull();
    const stored = await tdb.db.selectFrom('orders').select(['external_id', 'channel_status']).where('connection_id', '=', connectionId).orderBy('external_id').execute();
    expect(stored.find((o) => o.external_id === 'EXT-2')?.channel_status).toBe('holded');
  });

  test('inventory: levels stored under sku@location keep the payload of their record', async () => {
    const records: RawRecord[] = [
      { external_id: 'item-7', updated_at: inventoryInput(7).updated_at, payload: { v: 'seven', input: inventoryInput(7) } },
      { external_id: 'item-8', updated_at: inventoryInput(8).updated_at, payload: { v: 'eight', input: inventoryInput(8, 'east') } },
    ];
    await apply('inventory', 'run_inventory', records);
    expect((await staged('run_inventory')).map((r) => [r.external_id, r.payload, r.outcome])).toEqual(records.map((r) => [r.external_id, r.payload, 'applied']));
  });
});

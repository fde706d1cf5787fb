// Stock levels per (connection, sku, location).
import { sql, type Selectable } from 'kysely';
import { newId } from '../core/ids.ts';
import type { FulfillmentChannel, InventoryLevel, InventoryLevelInput } from '../core/model/index.ts';
import type { Db } from './db.ts';
import type { ConnectionRef } from './orders.ts';
import { commonFilters, equalities, keysetPage, type Cursor, type Page, type Sort } from './paging.ts';
import type { InventoryLevelsTable } from './schema.ts';
import { emptyResult, excluded, inTransaction, instant, json, latestPerExternalId, type UpsertResult } from './upsert.ts';
import { writeEvents, type NewEvent } from './events.ts';
import { inventoryLevelId } from '../core/model/inventory.ts';

type Row = Selectable<InventoryLevelsTable>;

/** A level's external id (`sku@location`, see inventoryLevelId in the model). */
export const inventoryExternalId = inventoryLevelId;

const UPDATE_COLUMNS = ['sku', 'location_id', 'fulfillment_channel', 'on_hand', 'reserved', 'available', 'updated_at', 'synced_at', 'raw'] as const;

/** Every column but the raw payload, which the comparison and the API's view never need read back. */
const LEVEL_COLUMNS = ['id', 'tenant_id', 'connection_id', 'channel', 'external_id', 'sku', 'location_id', 'fulfillment_channel', 'on_hand', 'reserved', 'available', 'updated_at', 'synced_at'] as const;

export async function upsertInventory(db: Db, ref: ConnectionRef, inputs: readonly InventoryLevelInput[], raws?: ReadonlyMap<string, unknown>): Promise<UpsertResult> {
  const result = emptyResult();
  const records = latestPerExternalId(inputs.map((i) => ({ ...i, external_id: inventoryExternalId(i.sku, i.location_id) })));
  if (records.length === 0) return result;
  const now = new Date();
  return inTransaction(db, async (trx) => {
    const before = new Map(
      (
        await trx
          .selectFrom('inventory_levels')
          .select(LEVEL_COLUMNS)
          .where('connection_id', '=', ref.connectionId)
          .where('external_id', '=', sql<string>`ANY(${records.map((r) => r.external_id)})`)
          .forUpdate()
          .execute()
      ).map((r) => [r.external_id, r]),
    );
    const written = await trx
      .insertInto('inventory_levels')
      .values(
        records.map((i) => ({
          id: newId('inventory'),
          tenant_id: ref.tenantId,
          connection_id: ref.connectionId,
          channel: ref.channel,
          external_id: i.external_id,
          sku: i.sku,
          location_id: i.location_id,
          fulfillment_channel: i.fulfillment_channel,
          on_hand: i.on_hand,
          reserved: i.reserved,
          available: i.available,
          updated_at: instant(i.updated_at),
          synced_at: now,
          raw: raws?.has(i.external_id) ? json(raws.get(i.external_id)) : null,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['connection_id', 'external_id'])
          .doUpdateSet(excluded(UPDATE_COLUMNS))
          .where(sql.ref('inventory_levels.updated_at'), '<=', sql.ref('excluded.updated_at'))
          // A level read again with the same values is not rewritten: stores without a stock change feed
          // (Magento) are re-read whole every poll, and rewriting 20,000 equal rows each time was most of the
          // poll's cost. Such rows keep their synced_at; "when stock was last read" is the pull checkpoint.
          .where(sql<boolean>`(inventory_levels.sku, inventory_levels.location_id, inventory_levels.fulfillment_channel, inventory_levels.on_hand, inventory_levels.reserved, inventory_levels.available)
            IS DISTINCT FROM (excluded.sku, excluded.location_id, excluded.fulfillment_channel, excluded.on_hand, excluded.reserved, excluded.available)`),
      )
      .returning(LEVEL_COLUMNS)
      .execute();
    for (const w of written) result.written.set(w.external_id, { id: w.id, inserted: !before.has(w.external_id) });
    const unchanged: string[] = [];
    for (const r of records) {
      if (result.written.has(r.external_id)) continue;
      const old = before.get(r.external_id);
      const same = old && old.updated_at.getTime() <= Date.parse(r.updated_at) && old.sku === r.sku && old.location_id === r.location_id && old.fulfillment_channel === r.fulfillment_channel && old.on_hand === r.on_hand && old.reserved === r.reserved && old.available === r.available;
      if (same) unchanged.push(r.external_id);
      else result.stale.push(r.external_id);
    }
    result.unchanged = unchanged;
    const events: NewEvent[] = [];
    for (const w of written) {
      const old = before.get(w.external_id);
      const fields = ['on_hand', 'reserved', 'available', 'fulfillment_channel'] as const;
      const previous = old ? Object.fromEntries(fields.filter((f) => old[f] !== w[f]).map((f) => [f, old[f]])) : null;
      if (previous && Object.keys(previous).length === 0) continue;
      events.push({ tenantId: ref.tenantId, type: 'inventory.changed', entityType: 'inventory_level', entityId: w.id, connectionId: ref.connectionId, channel: ref.channel, data: { object: toInventoryLevel(w), previous } });
    }
    await writeEvents(trx, events);
    return result;
  });
}

export function toInventoryLevel(r: Omit<Row, 'raw'>): InventoryLevel {
  return {
    id: r.id,
    connection_id: r.connection_id,
    channel: r.channel,
    sku: r.sku,
    location_id: r.location_id,
    fulfillment_channel: r.fulfillment_channel as FulfillmentChannel,
    on_hand: r.on_hand,
    reserved: r.reserved,
    available: r.available,
    updated_at: r.updated_at.toISOString(),
    synced_at: r.synced_at.toISOString(),
  };
}

export interface InventoryFilters {
  connection_id?: string | undefined;
  channel?: string | undefined;
  sku?: string | undefined;
  location_id?: string | undefined;
  fulfillment_channel?: FulfillmentChannel | undefined;
  updated_from?: string | undefined;
  updated_to?: string | undefined;
}

/** Inventory pages by id (levels have no upstream creation time). */
export async function listInventory(db: Db, tenantId: string, f: InventoryFilters, cursor: Cursor | null, limit: number): Promise<Page<InventoryLevel>> {
  const sort: Sort = { column: 'id', desc: false };
  const where = [
    ...commonFilters('inventory_levels', { connection_id: f.connection_id, channel: f.channel, updated_from: f.updated_from, updated_to: f.updated_to }),
    ...equalities('inventory_levels', { sku: f.sku, location_id: f.location_id, fulfillment_channel: f.fulfillment_channel }),
  ];
  return keysetPage(db.selectFrom('inventory_levels').selectAll().where('tenant_id', '=', tenantId), { table: 'inventory_levels', sort, cursor, limit, where }, (rows) => rows.map(toInventoryLevel));
}

/** Levels for many SKUs of one tenant, for the GraphQL loaders. */
export async function inventoryForSkus(db: Db, tenantId: string, skus: readonly string[]): Promise<Row[]> {
  if (skus.length === 0) return [];
  return db
    .selectFrom('inventory_levels')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('sku', '=', sql<string>`ANY(${[...skus]})`)
    .orderBy('id')
    .execute();
}

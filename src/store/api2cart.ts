// Reads the API2Cart-compatible layer needs beside the /v1 ones: a connection by its store key, counts
// with the list filters, order statuses seen, and variants by id.
import { sql } from 'kysely';
import type { Connection } from '../core/model/index.ts';
import { toConnection } from './connections.ts';
import type { Db } from './db.ts';
import type { Condition } from './paging.ts';

export async function connectionByStoreKey(db: Db, tenantId: string, storeKey: string): Promise<Connection | undefined> {
  const row = await db.selectFrom('connections').selectAll().where('tenant_id', '=', tenantId).where('store_key', '=', storeKey).executeTakeFirst();
  return row ? toConnection(row) : undefined;
}

export type CountedTable = 'products' | 'orders' | 'customers' | 'categories' | 'shipments';

/**
 * Rows of a synced table meeting a list's conditions, not deleted: the conditions are the ones the list
 * itself runs (`productConditions(f)` and the like, plus the same extra ones), so a count and its list agree.
 */
export async function countRows(db: Db, tenantId: string, table: CountedTable, conds: readonly Condition[]): Promise<number> {
  const where = conds.length ? sql` AND ${sql.join(conds, sql` AND `)}` : sql``;
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE ${sql.ref(`${table}.tenant_id`)} = ${tenantId} AND ${sql.ref(`${table}.deleted_at`)} IS NULL${where}`.execute(db);
  return r.rows[0]?.n ?? 0;
}

/** Variants of a connection's products, with their product id; keyset on the variant id. */
export async function variantRefs(
  db: Db,
  tenantId: string,
  connectionId: string,
  f: { product_id?: string | undefined; sku?: string | undefined; ids?: string[] | undefined; updated_from?: Date | undefined; updated_to?: Date | undefined },
  after: string | null,
  limit: number,
): Promise<{ id: string; product_id: string }[]> {
  return db
    .selectFrom('product_variants')
    .innerJoin('products', 'products.id', 'product_variants.product_id')
    .select(['product_variants.id', 'product_variants.product_id'])
    .where('product_variants.tenant_id', '=', tenantId)
    .where('product_variants.connection_id', '=', connectionId)
    .where('products.deleted_at', 'is', null)
    .where(sql<boolean>`(jsonb_array_length(products.options) > 0 OR product_variants.options <> '{}'::jsonb)`)
    .$if(!!f.product_id, (q) => q.where('product_variants.product_id', '=', f.product_id!))
    .$if(!!f.sku, (q) => q.where('product_variants.sku', '=', f.sku!))
    .$if(!!f.ids, (q) => q.where('product_variants.id', 'in', f.ids!.length ? f.ids! : ['']))
    .$if(!!f.updated_from, (q) => q.where('product_variants.updated_at', '>=', f.updated_from!))
    .$if(!!f.updated_to, (q) => q.where('product_variants.updated_at', '<', f.updated_to!))
    .$if(after !== null, (q) => q.where('product_variants.id', '>', after!))
    .orderBy('product_variants.id')
    .limit(limit)
    .execute();
}

export async function countVariants(
  db: Db,
  tenantId: string,
  connectionId: string,
  productId: string | undefined,
  f: { sku?: string | undefined; updated_from?: Date | undefined; updated_to?: Date | undefined },
): Promise<number> {
  const r = await db
    .selectFrom('product_variants')
    .innerJoin('products', 'products.id', 'product_variants.product_id')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('product_variants.tenant_id', '=', tenantId)
    .where('product_variants.connection_id', '=', connectionId)
    .where('products.deleted_at', 'is', null)
    .where(sql<boolean>`(jsonb_array_length(products.options) > 0 OR product_variants.options <> '{}'::jsonb)`)
    .$if(!!productId, (q) => q.where('product_variants.product_id', '=', productId!))
    .$if(!!f.sku, (q) => q.where('product_variants.sku', '=', f.sku!))
    .$if(!!f.updated_from, (q) => q.where('product_variants.updated_at', '>=', f.updated_from!))
    .$if(!!f.updated_to, (q) => q.where('product_variants.updated_at', '<', f.updated_to!))
    .executeTakeFirstOrThrow();
  return r.n;
}

/** The platform statuses the connection's orders carry, with the normalized status each maps to. */
export async function orderStatuses(db: Db, tenantId: string, connectionId: string): Promise<{ channel_status: string; status: string }[]> {
  return db
    .selectFrom('orders')
    .select(['channel_status', 'status'])
    .distinct()
    .where('tenant_id', '=', tenantId)
    .where('connection_id', '=', connectionId)
    .orderBy('channel_status')
    .execute();
}

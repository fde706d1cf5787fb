// Products with their variants, and categories: upserts from the sync engine and reads for the API.
import { sql, type Selectable, type SqlBool } from 'kysely';
import { newId } from '../core/ids.ts';
import { notFound } from '../core/errors.ts';
import type { Attributes, Category, CategoryInput, Identifiers, Price, Product, ProductInput, Variant } from '../core/model/index.ts';
import type { Db } from './db.ts';
import type { ConnectionRef } from './orders.ts';
import { commonFilters, equalities, keysetPage, type Condition, type CommonFilters, type Cursor, type Page, type Sort } from './paging.ts';
import type { CategoriesTable, ProductVariantsTable, ProductsTable } from './schema.ts';
import { emptyResult, excluded, inTransaction, instant, json, latestPerExternalId, type UpsertResult } from './upsert.ts';
import { changedFields, writeEvents, type NewEvent } from './events.ts';

type ProductRow = Selectable<ProductsTable>;
type VariantRow = Selectable<ProductVariantsTable>;
type CategoryRow = Selectable<CategoriesTable>;

const PRODUCT_UPDATE_COLUMNS = [
  'sku', 'title', 'description', 'status', 'product_type', 'brand', 'options', 'identifiers', 'attributes', 'images',
  'category_ids', 'prices', 'created_at', 'updated_at', 'synced_at', 'raw', 'deleted_at',
] as const;
const VARIANT_UPDATE_COLUMNS = ['sku', 'title', 'position', 'options', 'identifiers', 'prices', 'weight', 'attributes', 'updated_at'] as const;

/** Stores products with their variants; variants keep their ids across updates, vanished ones are removed. */
export async function upsertProducts(db: Db, ref: ConnectionRef, inputs: readonly ProductInput[], raws?: ReadonlyMap<string, unknown>): Promise<UpsertResult> {
  const result = emptyResult();
  const records = latestPerExternalId(inputs);
  if (records.length === 0) return result;
  const now = new Date();
  return inTransaction(db, async (trx) => {
    const before = await productSnapshots(trx, ref.tenantId, ref.connectionId, records.map((r) => r.external_id), true);
    const written = await trx
      .insertInto('products')
      .values(
        records.map((p) => ({
          id: newId('product'),
          tenant_id: ref.tenantId,
          connection_id: ref.connectionId,
          channel: ref.channel,
          external_id: p.external_id,
          sku: p.identifiers.sku ?? p.variants[0]?.sku ?? null,
          title: p.title,
          description: p.description ?? null,
          status: p.status,
          product_type: p.product_type ?? null,
          brand: p.brand ?? null,
          options: json(p.options),
          identifiers: json(p.identifiers),
          attributes: json(p.attributes),
          images: json(p.images),
          category_ids: json(p.category_ids),
          prices: json(p.prices),
          created_at: instant(p.created_at),
          updated_at: instant(p.updated_at),
          synced_at: now,
          raw: raws?.has(p.external_id) ? json(raws.get(p.external_id)) : null,
          deleted_at: null,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['connection_id', 'external_id'])
          .doUpdateSet(excluded(PRODUCT_UPDATE_COLUMNS))
          .where(sql.ref('products.updated_at'), '<=', sql.ref('excluded.updated_at')),
      )
      .returning(['id', 'external_id', sql<boolean>`xmax = 0`.as('inserted')])
      .execute();
    for (const w of written) result.written.set(w.external_id, { id: w.id, inserted: w.inserted });
    for (const r of records) if (!result.written.has(r.external_id)) result.stale.push(r.external_id);
    const productIds = written.map((w) => w.id);
    if (productIds.length === 0) return result;

    const variantValues = records.flatMap((p) => {
      const w = result.written.get(p.external_id);
      if (!w) return [];
      return p.variants.map((v) => ({
        id: newId('variant'),
        tenant_id: ref.tenantId,
        product_id: w.id,
        connection_id: ref.connectionId,
        external_id: v.external_id,
        sku: v.sku,
        title: v.title ?? null,
        position: v.position,
        options: json(v.options),
        identifiers: json(v.identifiers),
        prices: json(v.prices),
        weight: v.weight ? json(v.weight) : null,
        attributes: json(v.attributes),
        updated_at: instant(v.updated_at),
      }));
    });
    const kept: string[] = [];
    for (let i = 0; i < variantValues.length; i += 2000) {
      const rows = await trx
        .insertInto('product_variants')
        .values(variantValues.slice(i, i + 2000))
        .onConflict((oc) => oc.columns(['product_id', 'external_id']).doUpdateSet(excluded(VARIANT_UPDATE_COLUMNS)))
        .returning('id')
        .execute();
      kept.push(...rows.map((r) => r.id));
    }
    await trx
      .deleteFrom('product_variants')
      .where('product_id', 'in', productIds)
      .$if(kept.length > 0, (q) => q.where('id', 'not in', kept))
      .execute();
    // Order lines stored before their product learn it now.
    const skus = [...new Set(variantValues.map((v) => v.sku))];
    if (skus.length > 0) {
      await sql`
        UPDATE order_lines ol SET product_id = v.product_id, variant_id = v.id
        FROM product_variants v
        WHERE ol.connection_id = ${ref.connectionId} AND ol.sku = ANY(${skus}) AND ol.product_id IS NULL
          AND v.connection_id = ol.connection_id AND v.sku = ol.sku`.execute(trx);
    }
    const after = await productSnapshots(trx, ref.tenantId, ref.connectionId, [...result.written.keys()], false);
    await writeEvents(trx, productEvents(ref, before, after));
    return result;
  });
}

const PRODUCT_SNAPSHOT_COLUMNS = [
  'id', 'tenant_id', 'connection_id', 'channel', 'external_id', 'sku', 'title', 'description', 'status', 'product_type', 'brand',
  'options', 'identifiers', 'attributes', 'images', 'category_ids', 'prices', 'created_at', 'updated_at', 'synced_at',
  'deleted_at',
] as const;

/** Stored products of a connection by external id, as the API shows them (locked for update when asked). */
async function productSnapshots(trx: Db, tenantId: string, connectionId: string, externalIds: readonly string[], lock: boolean): Promise<Map<string, Product>> {
  const out = new Map<string, Product>();
  if (externalIds.length === 0) return out;
  const rows = await trx
    .selectFrom('products')
    .select(PRODUCT_SNAPSHOT_COLUMNS)
    .where('connection_id', '=', connectionId)
    .where('external_id', '=', sql<string>`ANY(${[...externalIds]})`)
    .$if(lock, (q) => q.forUpdate())
    .execute();
  const variants = await variantsForProducts(trx, tenantId, rows.map((r) => r.id));
  // The raw payload is no part of the API's view: not read back.
  for (const r of rows) out.set(r.external_id, toProduct({ ...r, raw: null }, variants.get(r.id) ?? []));
  return out;
}

/** Bookkeeping times are no change; variants carry their own updated_at, dropped for the comparison. */
function comparable(p: Product): Omit<Product, 'synced_at' | 'updated_at'> {
  const { synced_at: _s, updated_at: _u, variants, ...rest } = p;
  return { ...rest, variants: variants.map(({ updated_at: _v, ...v }) => v) as Product['variants'] };
}

function productEvents(ref: ConnectionRef, before: Map<string, Product>, after: Map<string, Product>): NewEvent[] {
  const events: NewEvent[] = [];
  for (const [externalId, now] of after) {
    const base = { tenantId: ref.tenantId, entityType: 'product', entityId: now.id, connectionId: ref.connectionId, channel: ref.channel };
    const old = before.get(externalId);
    if (!old) {
      events.push({ ...base, type: 'product.created', data: { object: now } });
      continue;
    }
    const changed = changedFields(comparable(old), comparable(now));
    if (!changed) continue;
    // previous holds the stored values (variants with their times) of the fields that changed.
    const previous = Object.fromEntries(Object.keys(changed).map((k) => [k, (old as Record<string, unknown>)[k]]));
    events.push({ ...base, type: 'product.updated', data: { object: now, previous } });
  }
  return events;
}

export function toVariant(v: VariantRow): Variant {
  return {
    id: v.id,
    product_id: v.product_id,
    external_id: v.external_id,
    sku: v.sku,
    title: v.title,
    position: v.position,
    options: v.options,
    identifiers: v.identifiers as Identifiers,
    prices: v.prices as Price[],
    weight: v.weight as Variant['weight'],
    attributes: v.attributes as Attributes,
    updated_at: v.updated_at.toISOString(),
  };
}

export function toProduct(p: ProductRow, variants: VariantRow[]): Product {
  return {
    id: p.id,
    connection_id: p.connection_id,
    channel: p.channel,
    external_id: p.external_id,
    title: p.title,
    description: p.description,
    status: p.status as Product['status'],
    product_type: p.product_type,
    brand: p.brand,
    options: p.options as Product['options'],
    identifiers: p.identifiers as Identifiers,
    attributes: p.attributes as Attributes,
    images: p.images as Product['images'],
    category_ids: p.category_ids,
    prices: p.prices as Price[],
    variants: variants.map(toVariant),
    created_at: p.created_at.toISOString(),
    updated_at: p.updated_at.toISOString(),
    synced_at: p.synced_at.toISOString(),
  };
}

export async function variantsForProducts(db: Db, tenantId: string, productIds: readonly string[]): Promise<Map<string, VariantRow[]>> {
  const out = new Map<string, VariantRow[]>();
  if (productIds.length === 0) return out;
  const rows = await db
    .selectFrom('product_variants')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('product_id', '=', sql<string>`ANY(${[...productIds]})`)
    .orderBy('product_id')
    .orderBy('position')
    .orderBy('id')
    .execute();
  for (const r of rows) {
    const list = out.get(r.product_id);
    if (list) list.push(r);
    else out.set(r.product_id, [r]);
  }
  return out;
}

export interface ProductFilters extends CommonFilters {
  sku?: string | undefined;
  status?: Product['status'] | undefined;
}

const PRODUCT_COLUMNS = [
  'id', 'tenant_id', 'connection_id', 'channel', 'external_id', 'sku', 'title', 'description', 'status', 'product_type', 'brand',
  'options', 'identifiers', 'attributes', 'images', 'category_ids', 'prices', 'created_at', 'updated_at', 'synced_at',
  'deleted_at',
] as const;

/** The product list's filters as conditions: the list and any count of it (API2Cart's) share them. */
export function productConditions(f: ProductFilters): Condition[] {
  const out = [...commonFilters('products', f), ...equalities('products', { status: f.status })];
  if (f.sku) out.push(sql<SqlBool>`(products.sku = ${f.sku} OR EXISTS (SELECT 1 FROM product_variants WHERE product_variants.product_id = products.id AND product_variants.sku = ${f.sku}))`);
  return out;
}

/** Products (not deleted) meeting the filters and any `extra` conditions, with their variants. */
export async function listProducts(db: Db, tenantId: string, f: ProductFilters, sort: Sort, cursor: Cursor | null, limit: number, extra: readonly Condition[] = []): Promise<Page<Product>> {
  const query = db.selectFrom('products').select(PRODUCT_COLUMNS).where('products.tenant_id', '=', tenantId).where('products.deleted_at', 'is', null);
  return keysetPage(query, { table: 'products', sort, cursor, limit, where: [...productConditions(f), ...extra] }, async (rows) => {
    const variants = await variantsForProducts(db, tenantId, rows.map((r) => r.id));
    return (rows as ProductRow[]).map((r) => toProduct(r, variants.get(r.id) ?? []));
  });
}

export async function getProduct(db: Db, tenantId: string, id: string, includeRaw = false): Promise<Product & { raw?: unknown }> {
  const row = await db.selectFrom('products').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Product', id);
  const variants = await variantsForProducts(db, tenantId, [id]);
  return { ...toProduct(row, variants.get(id) ?? []), ...(includeRaw && { raw: row.raw }) };
}

export async function productsByIds(db: Db, tenantId: string, ids: readonly string[]): Promise<ProductRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('products').selectAll().where('tenant_id', '=', tenantId).where('id', '=', sql<string>`ANY(${[...ids]})`).execute();
}

// ---------------------------------------------------------------------------------------------------
// Categories

const CATEGORY_UPDATE_COLUMNS = ['name', 'parent_external_id', 'path', 'position', 'is_active', 'created_at', 'updated_at', 'synced_at', 'raw', 'deleted_at'] as const;

export async function upsertCategories(db: Db, ref: ConnectionRef, inputs: readonly CategoryInput[], raws?: ReadonlyMap<string, unknown>): Promise<UpsertResult> {
  const result = emptyResult();
  const records = latestPerExternalId(inputs);
  if (records.length === 0) return result;
  const now = new Date();
  return inTransaction(db, async (trx) => {
    const written = await trx
      .insertInto('categories')
      .values(
        records.map((c) => ({
          id: newId('category'),
          tenant_id: ref.tenantId,
          connection_id: ref.connectionId,
          channel: ref.channel,
          external_id: c.external_id,
          name: c.name,
          parent_id: null,
          parent_external_id: c.parent_external_id ?? null,
          path: json(c.path),
          position: c.position,
          is_active: c.is_active,
          created_at: instant(c.created_at),
          updated_at: instant(c.updated_at),
          synced_at: now,
          raw: raws?.has(c.external_id) ? json(raws.get(c.external_id)) : null,
          deleted_at: null,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['connection_id', 'external_id'])
          .doUpdateSet(excluded(CATEGORY_UPDATE_COLUMNS))
          .where(sql.ref('categories.updated_at'), '<=', sql.ref('excluded.updated_at')),
      )
      .returning(['id', 'external_id', sql<boolean>`xmax = 0`.as('inserted')])
      .execute();
    for (const w of written) result.written.set(w.external_id, { id: w.id, inserted: w.inserted });
    for (const r of records) if (!result.written.has(r.external_id)) result.stale.push(r.external_id);
    await sql`
      UPDATE categories c SET parent_id = p.id
      FROM categories p
      WHERE c.connection_id = ${ref.connectionId} AND p.connection_id = c.connection_id AND p.external_id = c.parent_external_id
        AND c.parent_id IS DISTINCT FROM p.id`.execute(trx);
    return result;
  });
}

export function toCategory(c: CategoryRow): Category {
  return {
    id: c.id,
    connection_id: c.connection_id,
    channel: c.channel,
    external_id: c.external_id,
    name: c.name,
    parent_id: c.parent_id,
    parent_external_id: c.parent_external_id,
    path: c.path,
    position: c.position,
    is_active: c.is_active,
    created_at: c.created_at.toISOString(),
    updated_at: c.updated_at.toISOString(),
    synced_at: c.synced_at.toISOString(),
  };
}

export interface CategoryFilters extends CommonFilters {
  parent_id?: string | undefined;
}

export function categoryConditions(f: CategoryFilters): Condition[] {
  return [...commonFilters('categories', f), ...equalities('categories', { parent_id: f.parent_id })];
}

export async function listCategories(db: Db, tenantId: string, f: CategoryFilters, sort: Sort, cursor: Cursor | null, limit: number): Promise<Page<Category>> {
  const query = db.selectFrom('categories').selectAll().where('categories.tenant_id', '=', tenantId).where('categories.deleted_at', 'is', null);
  return keysetPage(query, { table: 'categories', sort, cursor, limit, where: categoryConditions(f) }, (rows) => rows.map(toCategory));
}

export async function getCategory(db: Db, tenantId: string, id: string): Promise<Category> {
  const row = await db.selectFrom('categories').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Category', id);
  return toCategory(row);
}

// Batch reads for the GraphQL loaders: many records of one tenant by id (or by order id, by SKU) in one
// or two queries, mapped to the canonical model. Every query filters by tenant_id, so an id of another
// tenant simply finds nothing. Raw upstream payloads are never read here.
import { sql } from 'kysely';
import type { Category, Connection, Customer, InventoryLevel, Order, Product, Shipment } from '../core/model/index.ts';
import { toCategory, productsByIds, toProduct, variantsForProducts } from './catalog.ts';
import { toConnection } from './connections.ts';
import type { Db } from './db.ts';
import { inventoryForSkus, toInventoryLevel } from './inventory.ts';
import { customersByIds, linesForOrders, ORDER_COLUMNS, shipmentsForOrders, toCustomer, toOrder, toShipment } from './orders.ts';

const anyOf = (values: readonly string[]) => sql<string>`ANY(${[...values]})`;

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** Orders with their lines: two queries whatever the number of ids. */
export async function ordersWithLines(db: Db, tenantId: string, ids: readonly string[]): Promise<Map<string, Order>> {
  const out = new Map<string, Order>();
  if (ids.length === 0) return out;
  const rows = await db.selectFrom('orders').select(ORDER_COLUMNS).where('tenant_id', '=', tenantId).where('id', '=', anyOf(ids)).execute();
  const lines = await linesForOrders(db, tenantId, rows.map((r) => r.id));
  for (const r of rows) out.set(r.id, toOrder({ ...r, raw: null }, lines.get(r.id) ?? []));
  return out;
}

/** Products with their variants: two queries whatever the number of ids. */
export async function productsWithVariants(db: Db, tenantId: string, ids: readonly string[]): Promise<Map<string, Product>> {
  const out = new Map<string, Product>();
  const rows = await productsByIds(db, tenantId, ids);
  if (rows.length === 0) return out;
  const variants = await variantsForProducts(db, tenantId, rows.map((r) => r.id));
  for (const r of rows) out.set(r.id, toProduct(r, variants.get(r.id) ?? []));
  return out;
}

/** Shipments of many orders, grouped by order id, oldest first. */
export async function shipmentsByOrderIds(db: Db, tenantId: string, orderIds: readonly string[]): Promise<Map<string, Shipment[]>> {
  const rows = await shipmentsForOrders(db, tenantId, orderIds);
  return new Map([...rows].map(([orderId, list]) => [orderId, list.map(toShipment)]));
}

export async function customersById(db: Db, tenantId: string, ids: readonly string[]): Promise<Map<string, Customer>> {
  const rows = await customersByIds(db, tenantId, ids);
  return new Map(rows.map((r) => [r.id, toCustomer(r)]));
}

/** Stock levels of many SKUs (every connection and location of the tenant), grouped by SKU. */
export async function inventoryBySkus(db: Db, tenantId: string, skus: readonly string[]): Promise<Map<string, InventoryLevel[]>> {
  const rows = await inventoryForSkus(db, tenantId, skus);
  return groupBy(rows.map(toInventoryLevel), (l) => l.sku);
}

/** Connections by id; credentials stay sealed (only `has_credentials` is derived from them). */
export async function connectionsById(db: Db, tenantId: string, ids: readonly string[]): Promise<Map<string, Connection>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('connections').selectAll().where('tenant_id', '=', tenantId).where('id', '=', anyOf(ids)).execute();
  return new Map(rows.map((r) => [r.id, toConnection(r)]));
}

export async function categoriesById(db: Db, tenantId: string, ids: readonly string[]): Promise<Map<string, Category>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('categories').selectAll().where('tenant_id', '=', tenantId).where('id', '=', anyOf(ids)).execute();
  return new Map(rows.map((r) => [r.id, toCategory(r)]));
}

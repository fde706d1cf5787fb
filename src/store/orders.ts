// Orders, their lines and shipments, and customers: upserts from the sync engine and reads for the API.
import { sql, type Selectable, type SqlBool } from 'kysely';
import { newId } from '../core/ids.ts';
import { notFound } from '../core/errors.ts';
import type { Customer, CustomerInput, Order, OrderInput, OrderLine, OrderStatus, Shipment, ShipmentInput, FulfillmentChannel, Address } from '../core/model/index.ts';
import type { Db } from './db.ts';
import { commonFilters, equalities, keysetPage, type Condition, type CommonFilters, type Cursor, type Page, type Sort } from './paging.ts';
import type { CustomersTable, OrderLinesTable, OrdersTable, ShipmentsTable } from './schema.ts';
import { emptyResult, excluded, inTransaction, instant, iso, json, latestPerExternalId, toDate, type UpsertResult } from './upsert.ts';
import { changedFields, writeEvents, type NewEvent } from './events.ts';

export interface ConnectionRef {
  tenantId: string;
  connectionId: string;
  channel: string;
}

type OrderRow = Selectable<OrdersTable>;
type LineRow = Selectable<OrderLinesTable>;
type ShipmentRow = Selectable<ShipmentsTable>;
type CustomerRow = Selectable<CustomersTable>;

const ORDER_UPDATE_COLUMNS = [
  'order_number', 'marketplace_id', 'status', 'channel_status', 'fulfillment_channel', 'currency', 'subtotal', 'shipping_total',
  'tax_total', 'discount_total', 'grand_total', 'billing_address', 'shipping_address', 'customer_external_id', 'customer_email',
  'customer_name', 'placed_at', 'created_at', 'updated_at', 'synced_at', 'raw', 'deleted_at',
] as const;

const LINE_UPDATE_COLUMNS = [
  'position', 'sku', 'title', 'quantity', 'quantity_shipped', 'quantity_canceled', 'currency', 'unit_price', 'tax', 'discount', 'total',
] as const;

/**
 * Stores a batch of orders from one connection. An order whose stored updated_at is newer than the
 * incoming one is left alone (reported as stale); lines keep their ids across updates.
 */
export async function upsertOrders(db: Db, ref: ConnectionRef, inputs: readonly OrderInput[], raws?: ReadonlyMap<string, unknown>): Promise<UpsertResult> {
  const result = emptyResult();
  const records = latestPerExternalId(inputs);
  if (records.length === 0) return result;
  const now = new Date();
  return inTransaction(db, async (trx) => {
    const before = await orderSnapshots(trx, ref.tenantId, ref.connectionId, records.map((r) => r.external_id), true);
    const written = await trx
      .insertInto('orders')
      .values(
        records.map((o) => ({
          id: newId('order'),
          tenant_id: ref.tenantId,
          connection_id: ref.connectionId,
          channel: ref.channel,
          external_id: o.external_id,
          order_number: o.order_number,
          marketplace_id: o.marketplace_id ?? null,
          status: o.status,
          channel_status: o.channel_status,
          fulfillment_channel: o.fulfillment_channel,
          currency: o.currency,
          subtotal: o.totals.subtotal.amount,
          shipping_total: o.totals.shipping.amount,
          tax_total: o.totals.tax.amount,
          discount_total: o.totals.discount.amount,
          grand_total: o.totals.total.amount,
          billing_address: o.billing_address ? json(o.billing_address) : null,
          shipping_address: o.shipping_address ? json(o.shipping_address) : null,
          customer_id: null,
          customer_external_id: o.customer.external_id ?? null,
          customer_email: o.customer.email ?? null,
          customer_name: o.customer.name ?? null,
          placed_at: toDate(o.placed_at),
          created_at: instant(o.created_at),
          updated_at: instant(o.updated_at),
          synced_at: now,
          raw: raws?.has(o.external_id) ? json(raws.get(o.external_id)) : null,
          deleted_at: null,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['connection_id', 'external_id'])
          .doUpdateSet(excluded(ORDER_UPDATE_COLUMNS))
          .where(sql.ref('orders.updated_at'), '<=', sql.ref('excluded.updated_at')),
      )
      .returning(['id', 'external_id', sql<boolean>`xmax = 0`.as('inserted')])
      .execute();

    for (const w of written) result.written.set(w.external_id, { id: w.id, inserted: w.inserted });
    for (const r of records) if (!result.written.has(r.external_id)) result.stale.push(r.external_id);
    const orderIds = written.map((w) => w.id);
    if (orderIds.length === 0) return result;

    const lineValues = records.flatMap((o) => {
      const w = result.written.get(o.external_id);
      if (!w) return [];
      return o.lines.map((l, position) => ({
        id: newId('orderLine'),
        tenant_id: ref.tenantId,
        order_id: w.id,
        connection_id: ref.connectionId,
        external_id: l.external_id,
        position,
        sku: l.sku,
        title: l.title ?? null,
        quantity: l.quantity,
        quantity_shipped: l.quantity_shipped,
        quantity_canceled: l.quantity_canceled,
        currency: l.unit_price.currency,
        unit_price: l.unit_price.amount,
        tax: l.tax.amount,
        discount: l.discount.amount,
        total: l.total.amount,
        product_id: null,
        variant_id: null,
      }));
    });
    const keptLineIds: string[] = [];
    // Chunks keep each statement under PostgreSQL's 65,535 bind parameters.
    for (let i = 0; i < lineValues.length; i += 2000) {
      const kept = await trx
        .insertInto('order_lines')
        .values(lineValues.slice(i, i + 2000))
        .onConflict((oc) => oc.columns(['order_id', 'external_id']).doUpdateSet(excluded(LINE_UPDATE_COLUMNS)))
        .returning('id')
        .execute();
      keptLineIds.push(...kept.map((k) => k.id));
    }
    await trx
      .deleteFrom('order_lines')
      .where('order_id', 'in', orderIds)
      .$if(keptLineIds.length > 0, (q) => q.where('id', 'not in', keptLineIds))
      .execute();
    await sql`
      UPDATE order_lines ol SET product_id = v.product_id, variant_id = v.id
      FROM product_variants v
      WHERE ol.order_id = ANY(${orderIds}) AND v.connection_id = ol.connection_id AND v.sku = ol.sku
        AND (ol.variant_id IS DISTINCT FROM v.id)`.execute(trx);
    await sql`
      UPDATE orders o SET customer_id = c.id
      FROM customers c
      WHERE o.id = ANY(${orderIds}) AND c.connection_id = o.connection_id AND c.external_id = o.customer_external_id
        AND o.customer_id IS DISTINCT FROM c.id`.execute(trx);
    const after = await orderSnapshots(trx, ref.tenantId, ref.connectionId, [...result.written.keys()], false);
    await writeEvents(trx, orderEvents(ref, before, after));
    return result;
  });
}

/** Fields whose change alone is no event: bookkeeping, not data. */
const UNEVENTFUL = ['synced_at', 'updated_at'];

/** Stored orders of a connection by external id, as the API shows them (locked for update when asked). */
async function orderSnapshots(trx: Db, tenantId: string, connectionId: string, externalIds: readonly string[], lock: boolean): Promise<Map<string, Order>> {
  const out = new Map<string, Order>();
  if (externalIds.length === 0) return out;
  const rows = await trx
    .selectFrom('orders')
    .select(ORDER_COLUMNS)
    .where('connection_id', '=', connectionId)
    .where('external_id', '=', sql<string>`ANY(${[...externalIds]})`)
    .$if(lock, (q) => q.forUpdate())
    .execute();
  const lines = await linesForOrders(trx, tenantId, rows.map((r) => r.id));
  for (const r of rows) out.set(r.external_id, toOrder({ ...r, raw: null }, lines.get(r.id) ?? []));
  return out;
}

/** order.created, or order.updated (with the previous values) plus order.shipped / order.canceled on those transitions. */
function orderEvents(ref: ConnectionRef, before: Map<string, Order>, after: Map<string, Order>): NewEvent[] {
  const events: NewEvent[] = [];
  const base = (o: Order) => ({ tenantId: ref.tenantId, entityType: 'order', entityId: o.id, connectionId: ref.connectionId, channel: ref.channel });
  for (const [externalId, now] of after) {
    const old = before.get(externalId);
    if (!old) {
      events.push({ ...base(now), type: 'order.created', data: { object: now } });
      continue;
    }
    const previous = changedFields(old, now, UNEVENTFUL);
    if (!previous) continue;
    events.push({ ...base(now), type: 'order.updated', data: { object: now, previous } });
    if (old.status !== now.status && now.status === 'shipped') events.push({ ...base(now), type: 'order.shipped', data: { object: now, previous: { status: old.status } } });
    if (old.status !== now.status && now.status === 'canceled') events.push({ ...base(now), type: 'order.canceled', data: { object: now, previous: { status: old.status } } });
  }
  return events;
}

const money = (amount: string, currency: string) => ({ amount, currency });

export function toOrderLine(l: LineRow): OrderLine {
  return {
    id: l.id,
    external_id: l.external_id,
    sku: l.sku,
    title: l.title,
    quantity: l.quantity,
    quantity_shipped: l.quantity_shipped,
    quantity_canceled: l.quantity_canceled,
    unit_price: money(l.unit_price, l.currency),
    tax: money(l.tax, l.currency),
    discount: money(l.discount, l.currency),
    total: money(l.total, l.currency),
    product_id: l.product_id,
    variant_id: l.variant_id,
  };
}

export function toOrder(o: OrderRow, lines: LineRow[]): Order & { raw?: unknown } {
  const c = o.currency;
  return {
    id: o.id,
    connection_id: o.connection_id,
    channel: o.channel,
    external_id: o.external_id,
    order_number: o.order_number,
    marketplace_id: o.marketplace_id,
    status: o.status as OrderStatus,
    channel_status: o.channel_status,
    fulfillment_channel: o.fulfillment_channel as FulfillmentChannel,
    currency: c,
    totals: {
      subtotal: money(o.subtotal, c),
      shipping: money(o.shipping_total, c),
      tax: money(o.tax_total, c),
      discount: money(o.discount_total, c),
      total: money(o.grand_total, c),
    },
    billing_address: o.billing_address as Address | null,
    shipping_address: o.shipping_address as Address | null,
    customer: { customer_id: o.customer_id, email: o.customer_email, name: o.customer_name },
    lines: lines.map(toOrderLine),
    placed_at: iso(o.placed_at),
    created_at: o.created_at.toISOString(),
    updated_at: o.updated_at.toISOString(),
    synced_at: o.synced_at.toISOString(),
  };
}

export interface OrderFilters extends CommonFilters {
  status?: OrderStatus | undefined;
  fulfillment_channel?: FulfillmentChannel | undefined;
  sku?: string | undefined;
  customer_id?: string | undefined;
}

/** Columns read for lists: everything but the raw payload. */
export const ORDER_COLUMNS = [
  'id', 'tenant_id', 'connection_id', 'channel', 'external_id', 'order_number', 'marketplace_id', 'status', 'channel_status',
  'fulfillment_channel', 'currency', 'subtotal', 'shipping_total', 'tax_total', 'discount_total', 'grand_total', 'billing_address',
  'shipping_address', 'customer_id', 'customer_external_id', 'customer_email', 'customer_name', 'placed_at', 'created_at', 'updated_at',
  'synced_at', 'deleted_at',
] as const;

/** The order list's filters as conditions: the list and any count of it (API2Cart's) share them. */
export function orderConditions(f: OrderFilters): Condition[] {
  const out = [...commonFilters('orders', f), ...equalities('orders', { status: f.status, fulfillment_channel: f.fulfillment_channel, customer_id: f.customer_id })];
  if (f.sku) out.push(sql<SqlBool>`EXISTS (SELECT 1 FROM order_lines WHERE order_lines.order_id = orders.id AND order_lines.sku = ${f.sku})`);
  return out;
}

/** Orders (not deleted) meeting the filters and any `extra` conditions, with their lines. */
export async function listOrders(db: Db, tenantId: string, f: OrderFilters, sort: Sort, cursor: Cursor | null, limit: number, extra: readonly Condition[] = []): Promise<Page<Order>> {
  const query = db.selectFrom('orders').select(ORDER_COLUMNS).where('orders.tenant_id', '=', tenantId).where('orders.deleted_at', 'is', null);
  return keysetPage(query, { table: 'orders', sort, cursor, limit, where: [...orderConditions(f), ...extra] }, async (rows) => {
    const lines = await linesForOrders(db, tenantId, rows.map((r) => r.id));
    return (rows as OrderRow[]).map((r) => toOrder(r, lines.get(r.id) ?? []));
  });
}

/** Lines of many orders in one query, grouped by order id, in line order. */
export async function linesForOrders(db: Db, tenantId: string, orderIds: readonly string[]): Promise<Map<string, LineRow[]>> {
  const out = new Map<string, LineRow[]>();
  if (orderIds.length === 0) return out;
  const rows = await db
    .selectFrom('order_lines')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('order_id', '=', sql<string>`ANY(${[...orderIds]})`)
    .orderBy('order_id')
    .orderBy('position')
    .execute();
  for (const r of rows) {
    const list = out.get(r.order_id);
    if (list) list.push(r);
    else out.set(r.order_id, [r]);
  }
  return out;
}

export async function getOrder(db: Db, tenantId: string, id: string, includeRaw = false): Promise<Order & { shipments: Shipment[]; raw?: unknown }> {
  const row = await db.selectFrom('orders').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Order', id);
  const [lines, shipments] = await Promise.all([linesForOrders(db, tenantId, [id]), shipmentsForOrders(db, tenantId, [id])]);
  const order = toOrder(row, lines.get(id) ?? []);
  return { ...order, shipments: (shipments.get(id) ?? []).map(toShipment), ...(includeRaw && { raw: row.raw }) };
}

// ---------------------------------------------------------------------------------------------------
// Shipments

const SHIPMENT_UPDATE_COLUMNS = ['lines', 'carrier', 'service', 'tracking_number', 'tracking_url', 'shipped_at', 'created_at', 'updated_at', 'synced_at', 'raw', 'deleted_at'] as const;

/** Stores shipments; each must name an order of the same connection that is stored already. */
/** The dead-letter reason of a shipment pulled before its order; the order's arrival looks for it. */
export function orphanShipmentReason(orderExternalId: string): string {
  return `order ${orderExternalId} of this connection is not stored yet`;
}

export async function upsertShipments(db: Db, ref: ConnectionRef, inputs: readonly ShipmentInput[], raws?: ReadonlyMap<string, unknown>): Promise<UpsertResult> {
  const result = emptyResult();
  const records = latestPerExternalId(inputs);
  if (records.length === 0) return result;
  const now = new Date();
  return inTransaction(db, async (trx) => {
    const orderExternalIds = [...new Set(records.map((s) => s.order_external_id))];
    const orders = await trx
      .selectFrom('orders')
      .select(['id', 'external_id'])
      .where('connection_id', '=', ref.connectionId)
      .where('external_id', 'in', orderExternalIds)
      .execute();
    const orderIdByExternal = new Map(orders.map((o) => [o.external_id, o.id]));
    const lines = await linesForOrders(trx, ref.tenantId, orders.map((o) => o.id));
    const values = [];
    for (const s of records) {
      const orderId = orderIdByExternal.get(s.order_external_id);
      if (!orderId) {
        result.failed.push({ external_id: s.external_id, reason: orphanShipmentReason(s.order_external_id) });
        continue;
      }
      const orderLines = lines.get(orderId) ?? [];
      const shipmentLines = s.lines.map((l) => {
        const match =
          (l.external_line_id && orderLines.find((ol) => ol.external_id === l.external_line_id)) || orderLines.find((ol) => ol.sku === l.sku);
        return { order_line_id: match?.id ?? null, external_line_id: l.external_line_id ?? null, sku: l.sku, quantity: l.quantity };
      });
      values.push({
        id: newId('shipment'),
        tenant_id: ref.tenantId,
        connection_id: ref.connectionId,
        channel: ref.channel,
        external_id: s.external_id,
        order_id: orderId,
        lines: json(shipmentLines),
        carrier: s.carrier ?? null,
        service: s.service ?? null,
        tracking_number: s.tracking_number ?? null,
        tracking_url: s.tracking_url ?? null,
        shipped_at: toDate(s.shipped_at),
        created_at: instant(s.created_at),
        updated_at: instant(s.updated_at),
        synced_at: now,
        raw: raws?.has(s.external_id) ? json(raws.get(s.external_id)) : null,
        deleted_at: null,
      });
    }
    if (values.length === 0) return result;
    const written = await trx
      .insertInto('shipments')
      .values(values)
      .onConflict((oc) =>
        oc
          .columns(['connection_id', 'external_id'])
          .doUpdateSet(excluded(SHIPMENT_UPDATE_COLUMNS))
          .where(sql.ref('shipments.updated_at'), '<=', sql.ref('excluded.updated_at')),
      )
      .returning(['id', 'external_id', sql<boolean>`xmax = 0`.as('inserted')])
      .execute();
    for (const w of written) result.written.set(w.external_id, { id: w.id, inserted: w.inserted });
    for (const v of values) if (!result.written.has(v.external_id)) result.stale.push(v.external_id);
    // A shipment is delivered after the events of its order (same ordering key).
    const inserted = values.filter((v) => result.written.get(v.external_id)?.inserted);
    if (inserted.length) {
      const rows = await trx.selectFrom('shipments').selectAll().where('id', '=', sql<string>`ANY(${inserted.map((v) => result.written.get(v.external_id)!.id)})`).execute();
      await writeEvents(
        trx,
        rows.map((r) => ({ tenantId: ref.tenantId, type: 'shipment.created', entityType: 'shipment', entityId: r.id, orderingKey: r.order_id, connectionId: ref.connectionId, channel: ref.channel, data: { object: toShipment(r) } })),
      );
    }
    return result;
  });
}

export function toShipment(s: ShipmentRow): Shipment {
  return {
    id: s.id,
    connection_id: s.connection_id,
    channel: s.channel,
    external_id: s.external_id,
    order_id: s.order_id,
    lines: s.lines as Shipment['lines'],
    carrier: s.carrier,
    service: s.service,
    tracking_number: s.tracking_number,
    tracking_url: s.tracking_url,
    shipped_at: iso(s.shipped_at),
    created_at: s.created_at.toISOString(),
    updated_at: s.updated_at.toISOString(),
    synced_at: s.synced_at.toISOString(),
  };
}

export async function shipmentsForOrders(db: Db, tenantId: string, orderIds: readonly string[]): Promise<Map<string, ShipmentRow[]>> {
  const out = new Map<string, ShipmentRow[]>();
  if (orderIds.length === 0) return out;
  const rows = await db
    .selectFrom('shipments')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('order_id', '=', sql<string>`ANY(${[...orderIds]})`)
    .where('deleted_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  for (const r of rows) {
    const list = out.get(r.order_id);
    if (list) list.push(r);
    else out.set(r.order_id, [r]);
  }
  return out;
}

export interface ShipmentFilters extends CommonFilters {
  order_id?: string | undefined;
}

export function shipmentConditions(f: ShipmentFilters): Condition[] {
  return [...commonFilters('shipments', f), ...equalities('shipments', { order_id: f.order_id })];
}

export async function listShipments(db: Db, tenantId: string, f: ShipmentFilters, sort: Sort, cursor: Cursor | null, limit: number): Promise<Page<Shipment>> {
  const query = db.selectFrom('shipments').selectAll().where('shipments.tenant_id', '=', tenantId).where('shipments.deleted_at', 'is', null);
  return keysetPage(query, { table: 'shipments', sort, cursor, limit, where: shipmentConditions(f) }, (rows) => rows.map(toShipment));
}

export async function getShipment(db: Db, tenantId: string, id: string, includeRaw = false): Promise<Shipment & { raw?: unknown }> {
  const row = await db.selectFrom('shipments').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Shipment', id);
  return { ...toShipment(row), ...(includeRaw && { raw: row.raw }) };
}

// ---------------------------------------------------------------------------------------------------
// Customers

const CUSTOMER_UPDATE_COLUMNS = ['email', 'first_name', 'last_name', 'phone', 'group', 'addresses', 'created_at', 'updated_at', 'synced_at', 'raw', 'deleted_at'] as const;

export async function upsertCustomers(db: Db, ref: ConnectionRef, inputs: readonly CustomerInput[], raws?: ReadonlyMap<string, unknown>): Promise<UpsertResult> {
  const result = emptyResult();
  const records = latestPerExternalId(inputs);
  if (records.length === 0) return result;
  const now = new Date();
  return inTransaction(db, async (trx) => {
    const written = await trx
      .insertInto('customers')
      .values(
        records.map((c) => ({
          id: newId('customer'),
          tenant_id: ref.tenantId,
          connection_id: ref.connectionId,
          channel: ref.channel,
          external_id: c.external_id,
          email: c.email ?? null,
          first_name: c.first_name ?? null,
          last_name: c.last_name ?? null,
          phone: c.phone ?? null,
          group: c.group ?? null,
          addresses: json(c.addresses),
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
          .doUpdateSet(excluded(CUSTOMER_UPDATE_COLUMNS))
          .where(sql.ref('customers.updated_at'), '<=', sql.ref('excluded.updated_at')),
      )
      .returning(['id', 'external_id', sql<boolean>`xmax = 0`.as('inserted')])
      .execute();
    for (const w of written) result.written.set(w.external_id, { id: w.id, inserted: w.inserted });
    for (const r of records) if (!result.written.has(r.external_id)) result.stale.push(r.external_id);
    await sql`
      UPDATE orders o SET customer_id = c.id
      FROM customers c
      WHERE c.id = ANY(${written.map((w) => w.id)}) AND o.connection_id = c.connection_id AND o.customer_external_id = c.external_id
        AND o.customer_id IS DISTINCT FROM c.id`.execute(trx);
    return result;
  });
}

export function toCustomer(c: CustomerRow): Customer {
  return {
    id: c.id,
    connection_id: c.connection_id,
    channel: c.channel,
    external_id: c.external_id,
    email: c.email,
    first_name: c.first_name,
    last_name: c.last_name,
    phone: c.phone,
    group: c.group,
    addresses: c.addresses as Address[],
    created_at: c.created_at.toISOString(),
    updated_at: c.updated_at.toISOString(),
    synced_at: c.synced_at.toISOString(),
  };
}

export interface CustomerFilters extends CommonFilters {
  email?: string | undefined;
}

/** The customer list's filters as conditions: the list and any count of it (API2Cart's) share them. */
export function customerConditions(f: CustomerFilters): Condition[] {
  const out = commonFilters('customers', f);
  if (f.email) out.push(sql<SqlBool>`lower(customers.email) = ${f.email.toLowerCase()}`);
  return out;
}

/** Customers (not deleted) meeting the filters and any `extra` conditions. */
export async function listCustomers(db: Db, tenantId: string, f: CustomerFilters, sort: Sort, cursor: Cursor | null, limit: number, extra: readonly Condition[] = []): Promise<Page<Customer>> {
  const query = db.selectFrom('customers').selectAll().where('customers.tenant_id', '=', tenantId).where('customers.deleted_at', 'is', null);
  return keysetPage(query, { table: 'customers', sort, cursor, limit, where: [...customerConditions(f), ...extra] }, (rows) => rows.map(toCustomer));
}

export async function getCustomer(db: Db, tenantId: string, id: string, includeRaw = false): Promise<Customer & { raw?: unknown }> {
  const row = await db.selectFrom('customers').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Customer', id);
  return { ...toCustomer(row), ...(includeRaw && { raw: row.raw }) };
}

export async function customersByIds(db: Db, tenantId: string, ids: readonly string[]): Promise<CustomerRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('customers').selectAll().where('tenant_id', '=', tenantId).where('id', '=', sql<string>`ANY(${[...ids]})`).execute();
}

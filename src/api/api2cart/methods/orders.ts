// order.*, order.shipment.* and customer.*: reads from the same store as /v1/orders, /v1/shipments and
// /v1/customers; writes (order.update, order.shipment.add) through the idempotent operations.
import { createHash } from 'node:crypto';
import { sql, type SqlBool } from 'kysely';
import { countRows, orderStatuses } from '../../../store/api2cart.ts';
import { customerConditions, getCustomer, getOrder, getShipment, listCustomers, listOrders, listShipments, orderConditions, shipmentConditions, type CustomerFilters } from '../../../store/orders.ts';
import type { Condition } from '../../../store/paging.ts';
import { A2C, A2cError, notSupported } from '../codes.ts';
import { selectFields } from '../fields.ts';
import { toA2cCustomer, toA2cOrder, toA2cShipment } from '../map.ts';
import type { MethodContext, MethodRegistry, Params } from '../registry.ts';
import { BY_ID, connectionOf, listParam, sortOf, notFoundIn, pageOf, pagination, requireParam, scopeFilters } from './common.ts';
import { submitAndWait } from './writes.ts';

type OrderWithShipments = Awaited<ReturnType<typeof getOrder>>;

async function orderOf(ctx: MethodContext, p: Params): Promise<OrderWithShipments> {
  const con = connectionOf(ctx);
  const id = typeof p.id === 'string' && p.id ? p.id : undefined;
  const number = typeof p.order_id === 'string' && p.order_id ? p.order_id : undefined;
  if (!id && !number) throw new A2cError(A2C.REQUIRED_PARAMETER, "Required parameter 'id' or 'order_id' is not specified.");
  let orderId = id;
  if (!orderId) {
    // order_id is the order's number on the platform (what order.list returns as order_id), or our id.
    const row = await ctx.deps.db
      .selectFrom('orders')
      .select('id')
      .where('tenant_id', '=', ctx.tenantId)
      .where('connection_id', '=', con.id)
      .where((eb) => eb.or([eb('order_number', '=', number!), eb('id', '=', number!), eb('external_id', '=', number!)]))
      .executeTakeFirst();
    orderId = row?.id;
  }
  const order = orderId ? await getOrder(ctx.deps.db, ctx.tenantId, orderId).catch(() => null) : null;
  if (!order || order.connection_id !== con.id) throw notFoundIn('Order', (id ?? number)!);
  return order;
}

function orderFilters(ctx: MethodContext, p: Params) {
  const base = scopeFilters(ctx, p);
  const extra: Condition[] = [];
  const status = typeof p.order_status === 'string' && p.order_status ? p.order_status : undefined;
  const statusIds = Array.isArray(p.order_status_ids) ? p.order_status_ids.map(String) : status ? [status] : [];
  if (statusIds.length) extra.push(sql<SqlBool>`orders.channel_status = ANY(${statusIds})`);
  if (typeof p.customer_email === 'string' && p.customer_email) extra.push(sql<SqlBool>`lower(orders.customer_email) = lower(${p.customer_email})`);
  if (typeof p.customer_id === 'string' && p.customer_id) extra.push(sql<SqlBool>`orders.customer_id = ${p.customer_id}`);
  const ids = typeof p.ids === 'string' ? p.ids.split(',').filter(Boolean) : [];
  if (ids.length) extra.push(sql<SqlBool>`orders.id = ANY(${ids})`);
  const numbers = typeof p.order_ids === 'string' ? p.order_ids.split(',').filter(Boolean) : [];
  if (numbers.length) extra.push(sql<SqlBool>`orders.order_number = ANY(${numbers})`);
  if (typeof p.fulfillment_channel === 'string' && ['merchant', 'marketplace'].includes(p.fulfillment_channel)) extra.push(sql<SqlBool>`orders.fulfillment_channel = ${p.fulfillment_channel}`);
  if (typeof p.since_id === 'string' && p.since_id) extra.push(sql<SqlBool>`orders.id > ${p.since_id}`);
  return { base, extra, all: [...orderConditions(base), ...extra] };
}

/** Orders through the store's list, the filters it lacks as extra conditions of the list and the count. */
async function orderPage(ctx: MethodContext, p: Params) {
  const { base, extra, all } = orderFilters(ctx, p);
  const sort = sortOf(p);
  const { items, next } = await pageOf(p, (cursor, limit) => listOrders(ctx.deps.db, ctx.tenantId, base, sort, cursor, limit, extra), sort);
  const total = await countRows(ctx.deps.db, ctx.tenantId, 'orders', all);
  return { items, next, total };
}

/** customer.list/count filters: ids, since_id, group_id and find_value in email/name. */
function customerFilters(ctx: MethodContext, p: Params) {
  const base: CustomerFilters = scopeFilters(ctx, p);
  const extra: Condition[] = [];
  const ids = listParam(p, 'ids');
  if (ids.length) extra.push(sql<SqlBool>`customers.id = ANY(${ids})`);
  if (typeof p.since_id === 'string' && p.since_id) extra.push(sql<SqlBool>`customers.id > ${p.since_id}`);
  if (typeof p.group_id === 'string' && p.group_id) extra.push(sql<SqlBool>`customers."group" = ${p.group_id}`);
  if (typeof p.find_value === 'string' && p.find_value) {
    const where = typeof p.find_where === 'string' && p.find_where ? p.find_where : 'email';
    const value = p.find_value.toLowerCase();
    if (where === 'email') base.email = value;
    else if (where === 'first_name' || where === 'last_name') extra.push(sql<SqlBool>`lower(${sql.ref(`customers.${where}`)}) = ${value}`);
    else throw new A2cError(A2C.INCORRECT_PARAMETERS, `Incorrect parameters: find_where "${where.slice(0, 40)}" is not email, first_name or last_name.`);
  }
  return { base, extra, all: [...customerConditions(base), ...extra] };
}

const CANCEL = new Set(['canceled', 'cancelled']);

/** A stable key for a write without idempotency_key: the same request maps to the same operation. */
function derivedKey(method: string, connectionId: string, body: unknown): string {
  return `a2c:${method}:${createHash('sha256').update(JSON.stringify([connectionId, body])).digest('hex').slice(0, 40)}`;
}

export function registerOrderMethods(r: MethodRegistry): void {
  r.register('order.list', async (ctx, p) => {
    const { items, next, total } = await orderPage(ctx, p);
    return { result: { orders_count: total, order: items.map((o) => selectFields(toA2cOrder(o), p.params, p.exclude)) }, pagination: pagination(next) };
  });
  r.register('order.find', async (ctx, p) => {
    const { items } = await orderPage(ctx, p);
    return { result: { order: items.map((o) => selectFields(toA2cOrder(o), p.params, p.exclude)) } };
  });
  r.register('order.info', async (ctx, p) => ({ result: selectFields(toA2cOrder(await orderOf(ctx, p)), p.params, p.exclude) }));
  r.register('order.count', async (ctx, p) => {
    const { all } = orderFilters(ctx, p);
    return { result: { orders_count: await countRows(ctx.deps.db, ctx.tenantId, 'orders', all) } };
  });
  r.register('order.status.list', async (ctx) => {
    const seen = await orderStatuses(ctx.deps.db, ctx.tenantId, connectionOf(ctx).id);
    return { result: { cart_order_statuses: seen.map((s) => ({ id: s.channel_status, name: s.channel_status })) } };
  });
  r.register('order.update', async (ctx, p) => {
    const order = await orderOf(ctx, { order_id: p.order_id });
    const status = typeof p.order_status === 'string' ? p.order_status.toLowerCase() : undefined;
    const other = ['financial_status', 'fulfillment_status', 'comment', 'admin_comment', 'admin_private_comment', 'order_payment_method', 'tags'].filter((k) => p[k] !== undefined);
    if (other.length) throw notSupported('order.update', `cannot change ${other.join(', ')} here: only order_status=Canceled (a cancellation) is supported`);
    if (!status) throw new A2cError(A2C.REQUIRED_PARAMETER, "Required parameter 'order_status' is not specified.");
    if (!CANCEL.has(status)) throw notSupported('order.update', `cannot set order_status "${String(p.order_status).slice(0, 40)}": only Canceled is supported`);
    const payload = { order_external_id: order.external_id, reason: typeof p.cancellation_reason === 'string' ? p.cancellation_reason : null };
    const key = typeof p.idempotency_key === 'string' && p.idempotency_key ? `a2c:${p.idempotency_key}` : derivedKey('order.update', order.connection_id, payload);
    await submitAndWait(ctx, 'order.cancel', payload, key);
    return { result: { updated_items: 1 } };
  });

  r.register('order.shipment.add', async (ctx, p) => {
    const order = await orderOf(ctx, { order_id: requireParam(p, 'order_id') });
    const items = Array.isArray(p.items) ? (p.items as Record<string, unknown>[]) : [];
    const byId = new Map(order.lines.map((l) => [l.id, l]));
    const lines = (items.length ? items : order.lines.map((l) => ({ order_product_id: l.id, quantity: l.quantity - l.quantity_shipped - l.quantity_canceled }))).map((it) => {
      const line = byId.get(String(it.order_product_id)) ?? order.lines.find((l) => l.external_id === String(it.order_product_id));
      if (!line) throw new A2cError(A2C.INCORRECT_PARAMETERS, `Incorrect parameters: order_product_id ${String(it.order_product_id).slice(0, 60)} is not a line of order ${order.id}.`);
      const quantity = Number(it.quantity ?? line.quantity);
      if (!Number.isInteger(quantity) || quantity < 1) throw new A2cError(A2C.INCORRECT_PARAMETERS, `Incorrect parameters: quantity of ${line.id} must be a positive whole number.`);
      return { external_line_id: line.external_id, sku: line.sku, quantity };
    }).filter((l) => l.quantity > 0);
    if (lines.length === 0) throw new A2cError(A2C.INCORRECT_PARAMETERS, 'Incorrect parameters: nothing left to ship on this order.');
    const tracking = Array.isArray(p.tracking_numbers) ? (p.tracking_numbers as Record<string, unknown>[])[0] : undefined;
    const payload = {
      order_external_id: order.external_id,
      lines,
      carrier: (tracking?.carrier_id as string | undefined) ?? (typeof p.shipment_provider === 'string' ? p.shipment_provider : null),
      service: typeof p.shipping_method === 'string' ? p.shipping_method : null,
      tracking_number: typeof tracking?.tracking_number === 'string' ? tracking.tracking_number : null,
      tracking_url: typeof p.tracking_link === 'string' ? p.tracking_link : null,
    };
    const key = typeof p.idempotency_key === 'string' && p.idempotency_key ? `a2c:${p.idempotency_key}` : derivedKey('order.shipment.add', order.connection_id, payload);
    const op = await submitAndWait(ctx, 'shipment.create', payload, key);
    const external = (op.result as { external_id?: string } | null)?.external_id;
    return { result: { shipment_id: external ?? op.id } };
  });
  r.register('order.shipment.list', async (ctx, p) => {
    const order = await orderOf(ctx, { order_id: requireParam(p, 'order_id') });
    const f = { ...scopeFilters(ctx, p), order_id: order.id };
    const { items, next } = await pageOf(p, (cursor, limit) => listShipments(ctx.deps.db, ctx.tenantId, f, BY_ID, cursor, limit));
    const lineIds = new Map(order.lines.map((l) => [l.external_id, l.id]));
    const total = await countRows(ctx.deps.db, ctx.tenantId, 'shipments', shipmentConditions(f));
    return { result: { shipment_count: total, shipment: items.map((s) => selectFields(toA2cShipment(s, lineIds), p.params, p.exclude)) }, pagination: pagination(next) };
  });
  r.register('order.shipment.info', async (ctx, p) => {
    const order = await orderOf(ctx, { order_id: requireParam(p, 'order_id') });
    const id = requireParam(p, 'id');
    const s = await getShipment(ctx.deps.db, ctx.tenantId, id).catch(() => null);
    if (!s || s.order_id !== order.id) throw notFoundIn('Shipment', id);
    return { result: selectFields(toA2cShipment(s, new Map(order.lines.map((l) => [l.external_id, l.id]))), p.params, p.exclude) };
  });
  r.register('order.shipment.tracking.add', async (ctx) => {
    connectionOf(ctx);
    throw notSupported('order.shipment.tracking.add', 'is not supported: the channels cannot add tracking to an existing shipment; send tracking_numbers with order.shipment.add');
  });

  r.register('customer.list', async (ctx, p) => {
    const { base, extra, all } = customerFilters(ctx, p);
    const sort = sortOf(p);
    const { items, next } = await pageOf(p, (cursor, limit) => listCustomers(ctx.deps.db, ctx.tenantId, base, sort, cursor, limit, extra), sort);
    const total = await countRows(ctx.deps.db, ctx.tenantId, 'customers', all);
    return { result: { customers_count: total, customer: items.map((c) => selectFields(toA2cCustomer(c), p.params, p.exclude)) }, pagination: pagination(next) };
  });
  r.register('customer.info', async (ctx, p) => {
    const id = requireParam(p, 'id');
    const c = await getCustomer(ctx.deps.db, ctx.tenantId, id).catch(() => null);
    if (!c || c.connection_id !== connectionOf(ctx).id) throw notFoundIn('Customer', id);
    return { result: selectFields(toA2cCustomer(c), p.params, p.exclude) };
  });
  r.register('customer.count', async (ctx, p) => {
    const { all } = customerFilters(ctx, p);
    return { result: { customers_count: await countRows(ctx.deps.db, ctx.tenantId, 'customers', all) } };
  });
}

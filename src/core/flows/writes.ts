// The writes that feed the flows, shared by REST and GraphQL: set stock at a location, ship an order,
// change a product or variant. Each runs as a durable operation on the record's own connection with
// the caller's idempotency key; once it succeeds the engine reads the change back and the flows that
// read it run. A connection a link writes to (its stock, prices or catalog owned by the link's source)
// refuses the same write from the API: the owner is changed instead, and the flow carries it over.
import { sql } from 'kysely';
import { getConnection } from '../../store/connections.ts';
import type { Db } from '../../store/db.ts';
import type { OperationRow } from '../../store/sync.ts';
import { AppError } from '../errors.ts';
import { ulid } from '../ids.ts';
import type { Money } from '../model/index.ts';
import type { FlowHost } from './host.ts';

async function assertOwner(db: Db, tenantId: string, connectionId: string, data: 'stock' | 'prices' | 'catalog'): Promise<void> {
  const flow = data === 'stock' ? 'inventory_sync' : data === 'prices' ? 'price_sync' : 'catalog_publish';
  const { rows } = await sql<{ id: string; source_connection_id: string }>`
    SELECT id, source_connection_id FROM flow_links
    WHERE tenant_id = ${tenantId} AND flow = ${flow} AND status = 'enabled' AND targets @> ${JSON.stringify([{ connection_id: connectionId }])}::jsonb LIMIT 1`.execute(db);
  const owner = rows[0];
  if (owner) throw new AppError('conflict', `the ${data} of connection ${connectionId} is owned by connection ${owner.source_connection_id} (link ${owner.id}); change it there`);
}

export interface WriteOutcome {
  op: OperationRow;
  created: boolean;
}

const keyOr = (key: string | undefined) => key ?? `api:${ulid()}`;

export async function setInventory(engine: FlowHost, tenantId: string, sku: string, body: { connection_id: string; available: number; location_id?: string | null | undefined }, key?: string): Promise<WriteOutcome> {
  const db = engine.db;
  await getConnection(db, tenantId, body.connection_id);
  await assertOwner(db, tenantId, body.connection_id, 'stock');
  // The upstream keeps stock on hand; what is reserved there stays reserved.
  const level = await db
    .selectFrom('inventory_levels')
    .select(['reserved'])
    .where('tenant_id', '=', tenantId)
    .where('connection_id', '=', body.connection_id)
    .where('sku', '=', sku)
    .$if(!!body.location_id, (q) => q.where('location_id', '=', body.location_id!))
    .executeTakeFirst();
  const payload = { sku, quantity: body.available + (level?.reserved ?? 0), location_id: body.location_id ?? null };
  return engine.submit({ tenantId, connectionId: body.connection_id, kind: 'inventory.set', payload, idempotencyKey: keyOr(key) });
}

export async function shipOrder(
  engine: FlowHost,
  tenantId: string,
  orderId: string,
  body: { lines: { line_id?: string | null | undefined; sku?: string | null | undefined; quantity: number }[]; carrier?: string | null | undefined; service?: string | null | undefined; tracking_number?: string | null | undefined; tracking_url?: string | null | undefined; shipped_at?: string | null | undefined },
  key?: string,
): Promise<WriteOutcome> {
  const db = engine.db;
  const order = await db.selectFrom('orders').select(['id', 'connection_id', 'external_id']).where('tenant_id', '=', tenantId).where('id', '=', orderId).where('deleted_at', 'is', null).executeTakeFirst();
  if (!order) throw new AppError('not_found', `Order ${orderId} was not found`);
  const lines = await db.selectFrom('order_lines').select(['id', 'external_id', 'sku']).where('order_id', '=', order.id).execute();
  const out = body.lines.map((l, i) => {
    const line = l.line_id ? lines.find((x) => x.id === l.line_id) : lines.find((x) => x.sku === l.sku);
    if (!line) throw new AppError('validation', 'a shipment line matches no line of the order', { errors: [{ path: `lines.${i}`, message: l.line_id ? `order has no line ${l.line_id}` : `order has no line with sku ${l.sku ?? '(none)'}` }] });
    return { external_line_id: line.external_id, sku: line.sku, quantity: l.quantity };
  });
  const payload = { order_external_id: order.external_id, lines: out, carrier: body.carrier ?? null, service: body.service ?? null, tracking_number: body.tracking_number ?? null, tracking_url: body.tracking_url ?? null, shipped_at: body.shipped_at ?? null };
  return engine.submit({ tenantId, connectionId: order.connection_id, kind: 'shipment.create', payload, idempotencyKey: keyOr(key) });
}

export interface ProductChange {
  title?: string | undefined;
  description?: string | null | undefined;
  status?: 'active' | 'inactive' | undefined;
  attributes?: Record<string, unknown> | undefined;
  price?: Money | undefined;
  sale_price?: Money | null | undefined;
}

/** Changes a product, or one variant of it (`variantId`): fields by product.update, a price by price.update. */
export async function changeProduct(engine: FlowHost, tenantId: string, productId: string, variantId: string | null, change: ProductChange, key?: string): Promise<WriteOutcome> {
  const db = engine.db;
  const p = await db.selectFrom('products').select(['id', 'connection_id', 'external_id', 'sku']).where('tenant_id', '=', tenantId).where('id', '=', productId).where('deleted_at', 'is', null).executeTakeFirst();
  if (!p) throw new AppError('not_found', `Product ${productId} was not found`);
  let sku = p.sku ?? p.external_id;
  let externalId: string | null = p.external_id;
  if (variantId) {
    const v = await db.selectFrom('product_variants').select(['sku', 'external_id']).where('product_id', '=', p.id).where('id', '=', variantId).executeTakeFirst();
    if (!v) throw new AppError('not_found', `Variant ${variantId} was not found`);
    sku = v.sku;
    externalId = v.external_id;
  }
  const fields = Object.fromEntries(Object.entries({ title: change.title, description: change.description, status: change.status, attributes: change.attributes }).filter(([, v]) => v !== undefined));
  const hasFields = Object.keys(fields).length > 0;
  if (!hasFields && !change.price) throw new AppError('validation', 'nothing to change', { errors: [{ path: '(body)', message: 'send at least one field' }] });
  if (hasFields && change.price) throw new AppError('validation', 'send fields and a price in two requests', { errors: [{ path: 'price', message: 'a price change is a write of its own' }] });
  if (change.price) {
    await assertOwner(db, tenantId, p.connection_id, 'prices');
    return engine.submit({ tenantId, connectionId: p.connection_id, kind: 'price.update', payload: { sku, price: change.price, sale_price: change.sale_price ?? null }, idempotencyKey: keyOr(key) });
  }
  await assertOwner(db, tenantId, p.connection_id, 'catalog');
  return engine.submit({ tenantId, connectionId: p.connection_id, kind: 'product.update', payload: { external_id: externalId, sku, fields }, idempotencyKey: keyOr(key) });
}

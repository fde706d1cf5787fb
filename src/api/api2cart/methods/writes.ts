// Writes: product.update and product.variant.update become the same idempotent operations as
// POST /v1/connections/{id}/operations (product.update, price.update, inventory.set).
import { ulid } from '../../../core/ids.ts';
import type { OperationKind, OperationRow } from '../../../store/sync.ts';
import { getProduct } from '../../../store/catalog.ts';
import { A2C, A2cError, notSupported } from '../codes.ts';
import { a2cMethods, type MethodContext, type MethodRegistry, type Params } from '../registry.ts';
import { connectionOf, notFoundIn, requireParam } from './common.ts';

/** How long a write waits for its operation before answering with what is known (as REST does). */
export const a2cWriteWait = { ms: 3_000 };

/** Submits an operation (the same key and payload return the first one) and waits a little for it. */
export async function submitAndWait(ctx: MethodContext, kind: OperationKind, payload: Record<string, unknown>, idempotencyKey: string): Promise<OperationRow> {
  const con = connectionOf(ctx);
  const { op, created } = await ctx.deps.engine.submit({ tenantId: ctx.tenantId, connectionId: con.id, kind, payload, idempotencyKey });
  ctx.log.info({ operation_id: op.id, kind, replayed_request: !created }, 'API2Cart write submitted');
  const done = await ctx.deps.engine.waitForOperation(ctx.tenantId, op.id, a2cWriteWait.ms);
  if (done.state === 'failed') throw new A2cError(A2C.STORE_ERROR, `The store refused the change: ${done.last_error ?? 'unknown reason'}`);
  return done;
}

/**
 * The operation key of one part of an update: from the client's idempotency_key when sent (a retry maps
 * to the same operations), else new. Not derived from the body: setting a price to 10, then 12, then 10
 * again is three changes, not a replay of the first.
 */
function keyFor(method: string, part: string, p: Params): string {
  if (typeof p.idempotency_key === 'string' && p.idempotency_key) return `a2c:${p.idempotency_key.slice(0, 200)}:${part}`;
  return `a2c:${method}:${part}:${ulid()}`;
}

const STATUS: Record<string, 'active' | 'inactive'> = { enabled: 'active', active: 'active', disabled: 'inactive', inactive: 'inactive' };
const UNSUPPORTED_PRODUCT_FIELDS = ['sku', 'special_price', 'cost_price', 'increase_quantity', 'reduce_quantity', 'categories_ids', 'weight', 'tier_prices', 'short_description', 'meta_title', 'meta_description', 'seo_url'];

async function updateSku(ctx: MethodContext, method: string, p: Params, target: { externalId: string | null; sku: string; currency: string }): Promise<number> {
  // Parameters the document defaults (weight=0, increase_quantity=0, ...) count only when sent otherwise.
  const defaults = new Map((a2cMethods.specs[method]?.params ?? []).map(([name, , , d]) => [name, d]));
  const unsupported = UNSUPPORTED_PRODUCT_FIELDS.filter((k) => p[k] !== undefined && p[k] !== defaults.get(k) && !(k === 'sku' && p[k] === target.sku));
  if (unsupported.length) throw notSupported(method, `cannot change ${unsupported.join(', ')} here: name, description, status, price and quantity are supported`);
  const ops: [OperationKind, Record<string, unknown>][] = [];
  const fields: Record<string, unknown> = {};
  if (typeof p.name === 'string') fields.title = p.name;
  if (typeof p.description === 'string') fields.description = p.description;
  if (typeof p.status === 'string') {
    const s = STATUS[p.status.toLowerCase()];
    if (!s) throw new A2cError(A2C.INCORRECT_PARAMETERS, `Incorrect parameters: status "${p.status.slice(0, 40)}" is not enabled or disabled.`);
    fields.status = s;
  }
  if (Object.keys(fields).length) ops.push(['product.update', { external_id: target.externalId, sku: target.sku, fields }]);
  if (typeof p.price === 'number') {
    if (p.price < 0) throw new A2cError(A2C.INCORRECT_PARAMETERS, 'Incorrect parameters: price must not be negative.');
    ops.push(['price.update', { sku: target.sku, price: { amount: p.price.toFixed(2), currency: target.currency } }]);
  }
  if (typeof p.quantity === 'number') {
    if (!Number.isInteger(p.quantity) || p.quantity < 0) throw new A2cError(A2C.INCORRECT_PARAMETERS, 'Incorrect parameters: quantity must be a whole number of at least 0.');
    ops.push(['inventory.set', { sku: target.sku, quantity: p.quantity, location_id: typeof p.warehouse_id === 'string' ? p.warehouse_id : null }]);
  }
  if (ops.length === 0) throw new A2cError(A2C.REQUIRED_PARAMETER, 'Required parameter is not specified: send at least one of name, description, status, price, quantity.');
  for (const [kind, payload] of ops) await submitAndWait(ctx, kind, payload, keyFor(method, kind, p));
  return 1;
}

export function registerWriteMethods(r: MethodRegistry): void {
  r.register('product.update', async (ctx, p) => {
    const id = requireParam(p, 'id');
    const product = await getProduct(ctx.deps.db, ctx.tenantId, id).catch(() => null);
    if (!product || product.connection_id !== connectionOf(ctx).id) throw notFoundIn('Product', id);
    const sku = product.identifiers.sku ?? product.variants[0]?.sku;
    if (!sku) throw new A2cError(A2C.INCORRECT_PARAMETERS, `Product ${id} has no SKU to update by.`);
    const currency = product.prices[0]?.price.currency ?? product.variants[0]?.prices[0]?.price.currency ?? 'USD';
    return { result: { updated_items: await updateSku(ctx, 'product.update', p, { externalId: product.external_id, sku, currency }) } };
  });
  r.register('product.variant.update', async (ctx, p) => {
    const id = requireParam(p, 'id');
    const row = await ctx.deps.db.selectFrom('product_variants').select(['product_id']).where('tenant_id', '=', ctx.tenantId).where('id', '=', id).executeTakeFirst();
    const product = row ? await getProduct(ctx.deps.db, ctx.tenantId, row.product_id).catch(() => null) : null;
    const variant = product?.variants.find((v) => v.id === id);
    if (!product || !variant || product.connection_id !== connectionOf(ctx).id) throw notFoundIn('Variant', id);
    const currency = variant.prices[0]?.price.currency ?? product.prices[0]?.price.currency ?? 'USD';
    return { result: { updated_items: await updateSku(ctx, 'product.variant.update', p, { externalId: null, sku: variant.sku, currency }) } };
  });
}

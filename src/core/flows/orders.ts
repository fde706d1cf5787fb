// Order import: marketplace orders into the store. Each order is staged once per link (the primary key
// (link, source order) makes a second staging impossible, whatever retries, restarts or overlapping pulls
// happen), its SKUs resolved by SKU, then the profile's SKU map, then identifier, and created in the
// target by one operation keyed `import-order:<link>:<order id>` with the marketplace's prices, taxes and
// shipping. An order that cannot be resolved is held in the exception list with its reason and tried
// again on later runs; it is never dropped.
import { sql } from 'kysely';
import { raiseException, settleException } from '../../store/flows.ts';
import { linesForOrders, toOrder } from '../../store/orders.ts';
import type { Order, OrderInput } from '../model/index.ts';
import type { FlowContext, FlowRunResult } from './host.ts';
import { raiseOversell, submit } from './shared.ts';
import { inventoryLevelId } from '../ports.ts';

type IdKey = 'ean' | 'upc' | 'gtin' | 'isbn' | 'asin';

/** The store SKU of a marketplace SKU, or null with the reason it cannot be found. */
async function resolveSku(ctx: FlowContext, target: string, sku: string): Promise<{ sku: string } | { reason: string }> {
  const { db } = ctx;
  const exists = async (s: string) => !!(await db.selectFrom('product_variants').select('id').where('connection_id', '=', target).where('sku', '=', s).executeTakeFirst());
  // The merchant's own SKU map first (it says what the SKU is, even where the store has the same SKU
  // for something else), then the same SKU, then an identifier match.
  const mapped = ctx.rules.identifiers.sku_map[sku];
  if (mapped && (await exists(mapped))) return { sku: mapped };
  if (await exists(sku)) return { sku };
  // The marketplace's own item for this SKU, and its identifiers.
  const own = await db
    .selectFrom('product_variants as v')
    .innerJoin('products as p', 'p.id', 'v.product_id')
    .select(['v.identifiers as vid', 'p.identifiers as pid'])
    .where('v.connection_id', '=', ctx.link.source_connection_id)
    .where('v.sku', '=', sku)
    .executeTakeFirst();
  const ids = { ...((own?.pid ?? {}) as Record<string, unknown>), ...((own?.vid ?? {}) as Record<string, unknown>) };
  for (const k of ctx.rules.identifiers.match as IdKey[]) {
    const value = ids[k];
    if (typeof value !== 'string' || !value) continue;
    const hit = await db
      .selectFrom('product_variants')
      .select('sku')
      .where('connection_id', '=', target)
      .where(sql<boolean>`identifiers->>${k} = ${value}`)
      .executeTakeFirst();
    if (hit) return { sku: hit.sku };
  }
  return { reason: `no product with SKU ${sku}${mapped ? ` (mapped to ${mapped})` : ''} or a matching ${ctx.rules.identifiers.match.join('/')} identifier on the target` };
}

/** Whether the target can cover a line right now, read fresh from the target when its adapter can. */
async function freshAvailable(ctx: FlowContext, target: string, sku: string): Promise<number | null> {
  const live = await ctx.host.adapters.get(ctx.link.tenant_id, target);
  const levels = await ctx.db.selectFrom('inventory_levels').select(['location_id', 'available']).where('connection_id', '=', target).where('sku', '=', sku).where('fulfillment_channel', '=', 'merchant').execute();
  if (live.adapter.fetch && live.adapter.normalize && levels.length) {
    let total = 0;
    for (const l of levels) {
      const raw = await live.adapter.fetch('inventory', inventoryLevelId(sku, l.location_id)).catch(() => null);
      if (!raw) return levels.reduce((n, x) => n + x.available, 0);
      total += live.adapter.normalize('inventory', raw).available;
    }
    return total;
  }
  return levels.length ? levels.reduce((n, x) => n + x.available, 0) : null;
}

function toInput(o: Order, lines: { sku: string }[], ctx: FlowContext): OrderInput {
  const c = ctx.rules.customer;
  const customer = c.policy === 'guest' ? { external_id: null, email: o.customer.email ?? null, name: o.customer.name ?? null } : { external_id: c.external_id, email: c.email ?? o.customer.email ?? null, name: c.name ?? o.customer.name ?? null };
  return {
    external_id: o.external_id,
    order_number: o.order_number,
    marketplace_id: o.marketplace_id ?? null,
    status: ctx.rules.statuses[o.status] ?? o.status,
    channel_status: o.channel_status,
    fulfillment_channel: o.fulfillment_channel,
    currency: o.currency,
    totals: o.totals,
    billing_address: o.billing_address ?? null,
    shipping_address: o.shipping_address ?? null,
    customer,
    lines: o.lines.map((l, i) => ({
      external_id: l.external_id,
      sku: lines[i]!.sku,
      title: l.title ?? null,
      quantity: l.quantity,
      quantity_shipped: 0,
      quantity_canceled: 0,
      unit_price: l.unit_price,
      tax: l.tax,
      discount: l.discount,
      total: l.total,
    })),
    placed_at: o.placed_at ?? null,
    created_at: o.created_at,
    updated_at: o.updated_at,
  };
}

export async function orderImport(ctx: FlowContext): Promise<FlowRunResult> {
  const { db, link, options } = ctx;
  const target = ctx.targets[0]!.connection_id;
  const cutoff = options.import_orders_placed_after ? new Date(options.import_orders_placed_after) : new Date(link.created_at.getTime() - 24 * 3600_000);
  const rows = await db
    .selectFrom('orders as o')
    .selectAll('o')
    .where('o.connection_id', '=', link.source_connection_id)
    .where('o.deleted_at', 'is', null)
    .where('o.status', 'in', options.import_statuses)
    .where(sql<boolean>`COALESCE(o.placed_at, o.created_at) >= ${cutoff}`)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('flow_order_imports as fi').select('fi.state').whereRef('fi.source_order_id', '=', 'o.id').where('fi.link_id', '=', link.id).where('fi.state', '<>', 'exception'))),
    )
    .orderBy('o.created_at')
    .limit(500)
    .execute();
  const lines = await linesForOrders(db, link.tenant_id, rows.map((r) => r.id));
  let submitted = 0;
  let held = 0;
  for (const row of rows) {
    const order = toOrder(row, lines.get(row.id) ?? []);
    const marketplaceFulfilled = order.fulfillment_channel === 'marketplace';
    if (marketplaceFulfilled && options.marketplace_fulfilled === 'skip') {
      await stage(ctx, order.id, target, 'skipped', false, []);
      continue;
    }
    const resolved: { sku: string }[] = [];
    const problems: string[] = [];
    for (const l of order.lines) {
      const r = await resolveSku(ctx, target, l.sku);
      if ('sku' in r) resolved.push(r);
      else problems.push(`line ${l.external_id}: ${r.reason}`);
    }
    if (problems.length) {
      held += 1;
      await db.transaction().execute(async (trx) => {
        await stage(ctx, order.id, target, 'exception', !marketplaceFulfilled, [], trx);
        await raiseException(trx, { tenantId: link.tenant_id, linkId: link.id, kind: 'unresolved_sku', subject: order.id, reason: `order ${order.order_number}: ${problems.join('; ')}`, details: { order_external_id: order.external_id, skus: order.lines.map((l) => l.sku) } });
      });
      continue;
    }
    const lineMap = order.lines.map((l, i) => ({ source_line_external_id: l.external_id, source_sku: l.sku, target_sku: resolved[i]!.sku }));
    // Two sales of the last unit: the target cannot cover this order. It is imported all the same (the
    // buyer paid) and the oversell goes to the exception list.
    if (!marketplaceFulfilled) {
      for (const m of lineMap) {
        const want = order.lines.find((l) => l.external_id === m.source_line_external_id)!.quantity;
        const have = await freshAvailable(ctx, target, m.target_sku);
        if (have !== null && have < want) {
          await raiseOversell(db, { tenantId: link.tenant_id, linkId: link.id, sku: m.target_sku, reason: `order ${order.order_number} wants ${want} of ${m.target_sku}, the target has ${have}`, details: { sku: m.target_sku, order_id: order.id, wanted: want, available: have } });
        }
      }
    }
    const input = toInput(order, resolved, ctx);
    await db.transaction().execute(async (trx) => {
      const staged = await stage(ctx, order.id, target, 'pending', !marketplaceFulfilled, lineMap, trx);
      if (!staged) return; // staged by an earlier run: it owns the order's operation
      const opId = await submit(ctx, trx, target, 'order.create', input, `import-order:${link.id}:${order.id}`);
      await trx.updateTable('flow_order_imports').set({ operation_id: opId }).where('link_id', '=', link.id).where('source_order_id', '=', order.id).execute();
      await settleException(trx, link.id, 'unresolved_sku', order.id, 'resolved: the order was imported');
      submitted += 1;
    });
  }
  return { submitted, notes: { seen: rows.length, held } };
}

/**
 * Stages an order for the link: inserts its row, or moves a held one on. Returns false when the order
 * was staged already in a state that owns it (pending, created, rejected, skipped).
 */
async function stage(ctx: FlowContext, orderId: string, target: string, state: string, stockTouched: boolean, lineMap: unknown[], db = ctx.db): Promise<boolean> {
  const now = new Date();
  const row = await db
    .insertInto('flow_order_imports')
    .values({ link_id: ctx.link.id, tenant_id: ctx.link.tenant_id, source_order_id: orderId, target_connection_id: target, state, operation_id: null, target_external_id: null, stock_touched: stockTouched, line_map: JSON.stringify(lineMap), canceled_at: null, created_at: now, updated_at: now })
    .onConflict((oc) =>
      oc
        .columns(['link_id', 'source_order_id'])
        .doUpdateSet({ state, stock_touched: stockTouched, line_map: JSON.stringify(lineMap), updated_at: now })
        .where('flow_order_imports.state', '=', 'exception'),
    )
    .returning('state')
    .executeTakeFirst();
  return !!row;
}

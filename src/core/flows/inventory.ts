// Inventory sync and price sync: a value per (target, marketplace, SKU) derived from the source by the
// profile's rules, written only when it differs from what was last sent. While a write of a SKU is in
// flight, newer changes wait and go out as one write with the last value (a burst coalesces); from the
// link's bulk threshold on, a target gets one bulk write.
import { sql } from 'kysely';
import { ulid } from '../ids.ts';
import type { Money } from '../model/index.ts';
import { targetPrice, targetQuantity } from './rules.ts';
import type { FlowContext, FlowRunResult } from './host.ts';
import { chunks, hasWrite, knownSkus, raiseOversell, submit, unfinished } from './shared.ts';

interface Change {
  sku: string;
  value: string;
  seq: number;
}

/**
 * Open quantities of marketplace orders the source does not show yet, per source SKU: orders staged
 * or held by an order import into this source, and those created there after the source's stock was
 * last read. Orders the marketplace fulfils never count.
 */
async function reservations(ctx: FlowContext, skuMap: Map<string, string>): Promise<Map<string, number>> {
  const source = ctx.link.source_connection_id;
  const { rows } = await sql<{ sku: string; open: number; line_map: { source_sku: string; target_sku: string }[] }>`
    SELECT l.sku, (l.quantity - l.quantity_shipped - l.quantity_canceled)::int AS open, fi.line_map
    FROM flow_order_imports fi
    JOIN orders o ON o.id = fi.source_order_id
    JOIN order_lines l ON l.order_id = o.id
    WHERE fi.target_connection_id = ${source}
      AND fi.stock_touched
      AND o.status IN ('pending', 'processing', 'on_hold')
      AND o.fulfillment_channel = 'merchant'
      AND (fi.state IN ('pending', 'exception')
           OR (fi.state = 'created' AND fi.updated_at > GREATEST(
                 COALESCE((SELECT max(synced_at) FROM inventory_levels s WHERE s.connection_id = ${source}), 'epoch'),
                 -- levels read again unchanged are not rewritten: the end of the last stock pull's window
                 -- says when the source's stock was last read.
                 COALESCE((SELECT watermark FROM sync_checkpoints c WHERE c.connection_id = ${source} AND c.entity = 'inventory'), 'epoch'))))`.execute(ctx.db);
  const out = new Map<string, number>();
  for (const r of rows) {
    const sku = r.line_map.find((m) => m.source_sku === r.sku)?.target_sku ?? skuMap.get(r.sku) ?? r.sku;
    if (r.open > 0) out.set(sku, (out.get(sku) ?? 0) + r.open);
  }
  return out;
}

export async function inventorySync(ctx: FlowContext): Promise<FlowRunResult> {
  const { db, link } = ctx;
  const r = ctx.rules.inventory;
  const source = link.source_connection_id;
  const levels = await db
    .selectFrom('inventory_levels')
    .select(['sku', sql<number>`sum(available)::int`.as('available')])
    .where('connection_id', '=', source)
    .where('fulfillment_channel', '=', 'merchant')
    .$if(!!r.locations?.length, (q) => q.where('location_id', 'in', r.locations!))
    .groupBy('sku')
    .execute();
  // sku_map is marketplace SKU -> store SKU; here we go the other way.
  const toMarket = new Map<string, string>();
  for (const [m, s] of Object.entries(ctx.rules.identifiers.sku_map)) toMarket.set(s, m);
  const reserved = await reservations(ctx, new Map(Object.entries(ctx.rules.identifiers.sku_map)));
  let submitted = 0;
  let oversold = 0;
  for (const lv of levels) {
    // Sold beyond what the source has because of orders it does not show yet (a store whose own
    // stock is below its own reservations is the store's business, not an oversell across channels).
    const held = reserved.get(lv.sku) ?? 0;
    const free = lv.available - held;
    if (held > 0 && free < 0) {
      oversold += 1;
      await raiseOversell(db, { tenantId: link.tenant_id, linkId: link.id, sku: lv.sku, reason: `${lv.sku}: ${-free} more sold than the source has (available ${lv.available}, reserved by orders not yet in the source ${reserved.get(lv.sku) ?? 0})`, details: { sku: lv.sku, available: lv.available, reserved: reserved.get(lv.sku) ?? 0 } });
    }
  }
  for (const t of ctx.targets) {
    const known = await knownSkus(db, t.connection_id);
    const fulfilledByMarketplace = new Set(
      (await db.selectFrom('inventory_levels').select('sku').where('connection_id', '=', t.connection_id).where('fulfillment_channel', '=', 'marketplace').execute()).map((x) => x.sku),
    );
    const desired = new Map<string, string>();
    for (const lv of levels) {
      const sku = toMarket.get(lv.sku) ?? lv.sku;
      if (!known.has(sku) || fulfilledByMarketplace.has(sku)) continue;
      desired.set(sku, String(targetQuantity(lv.available, reserved.get(lv.sku) ?? 0, r)));
    }
    submitted += await publish(ctx, t.connection_id, '', desired, 'stock');
  }
  return { submitted, notes: { skus: levels.length, oversold } };
}

/** The price a variant offers in a scope: the scoped price when there is one, else the default. */
function priceOf(prices: { connection_id?: string | null; marketplace_id?: string | null; price: Money }[], scope: string | null | undefined): Money | null {
  const scoped = scope ? prices.find((p) => p.marketplace_id === scope) : undefined;
  return (scoped ?? prices.find((p) => !p.marketplace_id) ?? prices[0])?.price ?? null;
}

export async function priceSync(ctx: FlowContext): Promise<FlowRunResult> {
  const { db, link } = ctx;
  const rules = ctx.rules.prices;
  const variants = await db
    .selectFrom('product_variants as v')
    .innerJoin('products as p', 'p.id', 'v.product_id')
    .select(['v.sku', 'v.prices as vprices', 'p.prices as pprices'])
    .where('v.connection_id', '=', link.source_connection_id)
    .where('p.deleted_at', 'is', null)
    .execute();
  const toMarket = new Map<string, string>();
  for (const [m, s] of Object.entries(ctx.rules.identifiers.sku_map)) toMarket.set(s, m);
  let submitted = 0;
  for (const t of ctx.targets) {
    const known = await knownSkus(db, t.connection_id);
    for (const mp of t.marketplace_ids.length ? t.marketplace_ids : ['']) {
      const desired = new Map<string, string>();
      for (const v of variants) {
        const sku = toMarket.get(v.sku) ?? v.sku;
        if (!known.has(sku)) continue;
        const price = priceOf((v.vprices as never[]).length ? (v.vprices as never[]) : (v.pprices as never[]), ctx.options.price_scope ?? rules.scope);
        if (!price) continue;
        desired.set(sku, `${targetPrice(price.amount, rules)} ${price.currency}`);
      }
      submitted += await publish(ctx, t.connection_id, mp, desired, 'price');
    }
  }
  return { submitted, notes: { variants: variants.length } };
}

/** Writes the values that changed since they were last sent, once each; returns operations submitted. */
async function publish(ctx: FlowContext, target: string, marketplaceId: string, desired: Map<string, string>, what: 'stock' | 'price'): Promise<number> {
  const { db, link } = ctx;
  const prev = await db.selectFrom('flow_published').selectAll().where('link_id', '=', link.id).where('target_connection_id', '=', target).where('marketplace_id', '=', marketplaceId).execute();
  const byS = new Map(prev.map((p) => [p.sku, p]));
  const busy = await unfinished(db, prev.map((p) => p.operation_id).filter((x): x is string => !!x));
  const changes: Change[] = [];
  for (const [sku, value] of desired) {
    const p = byS.get(sku);
    if (p && p.value === value) continue;
    if (p?.operation_id && busy.has(p.operation_id)) continue; // coalesced: goes out when the write in flight is done
    changes.push({ sku, value, seq: (p?.seq ?? 0) + 1 });
  }
  if (changes.length === 0) return 0;
  const bulkWrite = what === 'stock' ? 'setStockBulk' : 'updatePriceBulk';
  const bulk = changes.length >= ctx.options.bulk_threshold && (await hasWrite(ctx, target, bulkWrite));
  const item = (c: Change) => {
    if (what === 'stock') return { sku: c.sku, quantity: Number(c.value) };
    const [amount, currency] = c.value.split(' ');
    return { sku: c.sku, price: { amount: amount!, currency: currency! }, marketplace_id: marketplaceId || null };
  };
  let submitted = 0;
  await db.transaction().execute(async (trx) => {
    const record = async (c: Change, opId: string) => {
      await trx
        .insertInto('flow_published')
        .values({ link_id: link.id, target_connection_id: target, marketplace_id: marketplaceId, sku: c.sku, value: c.value, seq: c.seq, operation_id: opId, updated_at: new Date() })
        .onConflict((oc) => oc.columns(['link_id', 'target_connection_id', 'marketplace_id', 'sku']).doUpdateSet({ value: c.value, seq: c.seq, operation_id: opId, updated_at: new Date() }))
        .execute();
    };
    if (bulk) {
      for (const part of chunks(changes, 1000)) {
        const opId = await submit(ctx, trx, target, what === 'stock' ? 'inventory.set_bulk' : 'price.update_bulk', { items: part.map(item) }, `${what}-bulk:${link.id}:${target}:${marketplaceId}:${ulid()}`);
        for (const c of part) await record(c, opId);
        submitted += 1;
      }
    } else {
      for (const c of changes) {
        const opId = await submit(ctx, trx, target, what === 'stock' ? 'inventory.set' : 'price.update', item(c), `${what}:${link.id}:${target}:${marketplaceId}:${c.sku}:${c.seq}`);
        await record(c, opId);
        submitted += 1;
      }
    }
  });
  return submitted;
}

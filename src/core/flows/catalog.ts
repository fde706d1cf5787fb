// Catalog publish: source products mapped by the profile to listings, checked (the mapping's own rules,
// then the target's validateListing) and published when their content changed: a few by single
// writes, many by one bulk write. What the target says about each SKU is kept on the listing and
// shows on the product (GET /v1/listings?product_id=) and, for errors, in the exception list.
import { createHash } from 'node:crypto';
import { ulid } from '../ids.ts';
import { raiseException } from '../../store/flows.ts';
import { toProduct, variantsForProducts } from '../../store/catalog.ts';
import type { ItemIssue, ListingInput } from '../ports.ts';
import { explainIssue, mapProduct } from './rules.ts';
import type { FlowContext, FlowRunResult } from './host.ts';
import { chunks, submit, unfinished } from './shared.ts';

const hashOf = (l: ListingInput): string => createHash('sha256').update(JSON.stringify(l)).digest('hex').slice(0, 24);

export async function catalogPublish(ctx: FlowContext): Promise<FlowRunResult> {
  const { db, link } = ctx;
  const rows = await db.selectFrom('products').selectAll().where('connection_id', '=', link.source_connection_id).where('deleted_at', 'is', null).where('status', '=', 'active').orderBy('id').execute();
  const variants = await variantsForProducts(db, link.tenant_id, rows.map((r) => r.id));
  const all = rows.map((r) => toProduct(r, variants.get(r.id) ?? []));
  // A configurable's children are often products of their own too (Magento lists them); they are
  // published as the family's children only, not a second time as standalone listings.
  const familySkus = new Set(all.filter((p) => p.options.length > 0 && p.variants.length > 1).flatMap((p) => p.variants.map((v) => v.sku)));
  const products = all.filter((p) => p.options.length > 0 || !p.variants.every((v) => familySkus.has(v.sku)));
  const cats = await db.selectFrom('categories').select(['id', 'name']).where('connection_id', '=', link.source_connection_id).execute();
  const categoryNames = new Map(cats.map((c) => [c.id, c.name]));
  let submitted = 0;
  let invalid = 0;
  for (const t of ctx.targets) {
    const live = await ctx.host.adapters.get(link.tenant_id, t.connection_id);
    for (const mp of t.marketplace_ids.length ? t.marketplace_ids : ['']) {
      const prev = await db.selectFrom('flow_listings').selectAll().where('link_id', '=', link.id).where('target_connection_id', '=', t.connection_id).where('marketplace_id', '=', mp).execute();
      const bySku = new Map(prev.map((p) => [p.sku, p]));
      const busy = await unfinished(db, prev.map((p) => p.operation_id).filter((x): x is string => !!x));
      const ready: { listing: ListingInput; hash: string; productId: string }[] = [];
      for (const p of products) {
        for (const m of mapProduct(p, ctx.rules, mp || null, categoryNames)) {
          const hash = hashOf(m.listing);
          const before = bySku.get(m.listing.sku);
          if (before && before.content_hash === hash && before.state !== 'failed') continue;
          if (before?.operation_id && busy.has(before.operation_id)) continue;
          const issues: ItemIssue[] = [...m.issues];
          if (issues.length === 0 && live.adapter.validateListing) issues.push(...(await live.adapter.validateListing(m.listing)).map((i) => explainIssue(i, m.productId, m.listing, ctx.rules)));
          const errors = issues.filter((i) => i.severity === 'error');
          if (errors.length) {
            invalid += 1;
            await db.transaction().execute(async (trx) => {
              await upsertListing(trx, ctx, t.connection_id, mp, m.listing.sku, m.productId, hash, 'invalid', issues, null);
              await raiseException(trx, { tenantId: link.tenant_id, linkId: link.id, kind: 'listing_rejected', subject: m.productId, reason: `listing ${m.listing.sku} not sent: ${errors.map((i) => `${i.code}${i.attribute ? ` (${i.attribute})` : ''}: ${i.message}`).join('; ')}`, details: { sku: m.listing.sku, issues } });
            });
            continue;
          }
          ready.push({ listing: m.listing, hash, productId: m.productId });
        }
      }
      if (ready.length === 0) continue;
      await db.transaction().execute(async (trx) => {
        // A few changes go out one listing per write; from the threshold on, in bulk writes.
        const groups = ready.length >= ctx.options.bulk_threshold ? chunks(ready, 1000) : ready.map((r) => [r]);
        for (const g of groups) {
          const key = g.length === 1 ? `publish:${link.id}:${t.connection_id}:${mp}:${g[0]!.listing.sku}:${g[0]!.hash}` : `publish-bulk:${link.id}:${t.connection_id}:${mp}:${ulid()}`;
          const opId = await submit(ctx, trx, t.connection_id, 'listings.publish', { items: g.map((r) => r.listing) }, key);
          for (const r of g) await upsertListing(trx, ctx, t.connection_id, mp, r.listing.sku, r.productId, r.hash, 'submitted', [], opId);
          submitted += 1;
        }
      });
    }
  }
  return { submitted, notes: { products: products.length, invalid } };
}

async function upsertListing(trx: FlowContext['db'], ctx: FlowContext, target: string, mp: string, sku: string, productId: string, hash: string, state: string, issues: ItemIssue[], opId: string | null): Promise<void> {
  const values = { content_hash: hash, state, issues: JSON.stringify(issues), operation_id: opId, product_id: productId, updated_at: new Date() };
  await trx
    .insertInto('flow_listings')
    .values({ link_id: ctx.link.id, tenant_id: ctx.link.tenant_id, target_connection_id: target, marketplace_id: mp, sku, ...values })
    .onConflict((oc) => oc.columns(['link_id', 'target_connection_id', 'marketplace_id', 'sku']).doUpdateSet(values))
    .execute();
}

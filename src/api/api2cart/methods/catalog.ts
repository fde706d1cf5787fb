// product.*, product.variant.*, product.child_item.list and category.*: reads from the same store as
// /v1/products and /v1/categories, scoped to the store key's connection.
import { sql, type SqlBool } from 'kysely';
import type { Product } from '../../../core/model/index.ts';
import { countRows, countVariants, variantRefs } from '../../../store/api2cart.ts';
import { categoryConditions, getCategory, getProduct, listCategories, listProducts, productConditions, toProduct, variantsForProducts } from '../../../store/catalog.ts';
import { decodeCursor, encodeCursor, type Condition } from '../../../store/paging.ts';
import { A2C, A2cError } from '../codes.ts';
import { selectFields } from '../fields.ts';
import { toA2cCategory, toA2cChild, toA2cProduct, toA2cVariantProduct } from '../map.ts';
import type { MethodContext, MethodRegistry, Params } from '../registry.ts';
import { BY_ID, connectionOf, sortOf, levelsBySku, listParam, notFoundIn, pageOf, pagination, parseA2cDate, requireParam, scopeFilters } from './common.ts';

/** Upstream category ids of the connection -> our category ids, for categories_ids in and out. */
async function categoryIds(ctx: MethodContext): Promise<{ ours: Map<string, string>; upstream: Map<string, string> }> {
  const rows = await ctx.deps.db.selectFrom('categories').select(['id', 'external_id']).where('tenant_id', '=', ctx.tenantId).where('connection_id', '=', connectionOf(ctx).id).execute();
  return { ours: new Map(rows.map((r) => [r.external_id, r.id])), upstream: new Map(rows.map((r) => [r.id, r.external_id])) };
}

async function productsA2c(ctx: MethodContext, products: Product[], p: Params): Promise<Record<string, unknown>[]> {
  const con = connectionOf(ctx);
  const skus = products.flatMap((x) => x.variants.map((v) => v.sku));
  const levels = await levelsBySku(ctx.deps.db, ctx.tenantId, con.id, skus);
  const cats = products.some((x) => x.category_ids.length) ? (await categoryIds(ctx)).ours : new Map<string, string>();
  return products.map((x) => {
    const a2c = toA2cProduct({ ...x, category_ids: x.category_ids.map((c) => cats.get(c) ?? c) }, x.variants.flatMap((v) => levels.get(v.sku) ?? []));
    return selectFields(a2c, p.params, p.exclude);
  });
}

async function productOf(ctx: MethodContext, id: string): Promise<Product> {
  const con = connectionOf(ctx);
  const product = await getProduct(ctx.deps.db, ctx.tenantId, id).catch(() => null);
  if (!product || product.connection_id !== con.id) throw notFoundIn('Product', id);
  return product;
}

const STATUS: Record<string, Product['status']> = { enabled: 'active', active: 'active', disabled: 'inactive', inactive: 'inactive' };

/**
 * product.list/count filters: the store's (connection, dates, sku, status) and the rest (product_ids,
 * since_id, category_id/categories_ids, brand_name, find_value/find_where) as extra SQL conditions,
 * which the list and the count both run.
 */
async function productFilters(ctx: MethodContext, p: Params) {
  const base = { ...scopeFilters(ctx, p), sku: typeof p.sku === 'string' ? p.sku : undefined, status: typeof p.status === 'string' ? STATUS[p.status] : undefined };
  if (typeof p.status === 'string' && !base.status) throw new A2cError(A2C.INCORRECT_PARAMETERS, `Incorrect parameters: status "${p.status.slice(0, 40)}" is not enabled or disabled.`);
  const extra: Condition[] = [];
  const ids = listParam(p, 'product_ids');
  if (ids.length) extra.push(sql<SqlBool>`products.id = ANY(${ids})`);
  if (typeof p.since_id === 'string' && p.since_id) extra.push(sql<SqlBool>`products.id > ${p.since_id}`);
  const catIds = [...listParam(p, 'categories_ids'), ...listParam(p, 'category_id')];
  if (catIds.length) {
    const { upstream } = await categoryIds(ctx);
    const wanted = catIds.map((c) => upstream.get(c) ?? c);
    extra.push(sql<SqlBool>`products.category_ids ?| ${wanted}::text[]`);
  }
  if (typeof p.brand_name === 'string' && p.brand_name) extra.push(sql<SqlBool>`products.brand = ${p.brand_name}`);
  if (typeof p.find_value === 'string' && p.find_value) {
    const value = p.find_value.toLowerCase();
    const where = typeof p.find_where === 'string' && p.find_where ? p.find_where : 'name';
    if (where === 'name') extra.push(sql<SqlBool>`lower(products.title) LIKE ${'%' + value.replace(/[%_\\]/g, '\\$&') + '%'}`);
    else if (where === 'sku' || where === 'model') extra.push(sql<SqlBool>`lower(products.sku) = ${value}`);
    else throw new A2cError(A2C.INCORRECT_PARAMETERS, `Incorrect parameters: find_where "${where.slice(0, 40)}" is not name, sku or model.`);
  }
  return { base, extra, all: [...productConditions(base), ...extra] };
}

async function productList(ctx: MethodContext, p: Params) {
  const { base, extra, all } = await productFilters(ctx, p);
  const sort = sortOf(p);
  const { items, next } = await pageOf(p, (cursor, limit) => listProducts(ctx.deps.db, ctx.tenantId, base, sort, cursor, limit, extra), sort);
  const total = await countRows(ctx.deps.db, ctx.tenantId, 'products', all);
  return { result: { products_count: total, product: await productsA2c(ctx, items, p) }, pagination: pagination(next) };
}

async function productFind(ctx: MethodContext, p: Params) {
  const value = requireParam(p, 'find_value');
  const where = typeof p.find_where === 'string' ? p.find_where.split(',').map((s) => s.trim()) : ['name'];
  const whole = p.find_params !== 'contains';
  const con = connectionOf(ctx);
  const conds = where.flatMap((w) => {
    if (w === 'name') return [whole ? sql<SqlBool>`lower(p.title) = lower(${value})` : sql<SqlBool>`p.title ILIKE ${'%' + value.replace(/[%_\\]/g, '\\$&') + '%'}`];
    if (w === 'sku' || w === 'model') return [sql<SqlBool>`(p.sku = ${value} OR EXISTS (SELECT 1 FROM product_variants v WHERE v.product_id = p.id AND v.sku = ${value}))`];
    if (w === 'id') return [sql<SqlBool>`p.id = ${value}`];
    return [];
  });
  if (conds.length === 0) return { result: { product: [] } };
  const rows = await sql<{ id: string }>`SELECT p.id FROM products p WHERE p.tenant_id = ${ctx.tenantId} AND p.connection_id = ${con.id} AND p.deleted_at IS NULL AND (${sql.join(conds, sql` OR `)}) ORDER BY p.id LIMIT 250`.execute(ctx.deps.db);
  const products = await Promise.all(rows.rows.map((r) => getProduct(ctx.deps.db, ctx.tenantId, r.id)));
  return { result: { product: products.map((x) => ({ id: x.id, name: x.title, description: x.description ?? '', price: Number(x.prices[0]?.price.amount ?? x.variants[0]?.prices[0]?.price.amount ?? 0) })) } };
}

/** Variants page by variant id, through the keyset `after`. */
async function variantPage(ctx: MethodContext, p: Params, f: Parameters<typeof variantRefs>[3]) {
  const con = connectionOf(ctx);
  const count = typeof p.count === 'number' ? p.count : 10;
  let after: string | null = null;
  if (typeof p.page_cursor === 'string' && p.page_cursor !== '') {
    try {
      after = decodeCursor(p.page_cursor, BY_ID).id;
    } catch {
      throw new A2cError(A2C.INCORRECT_PARAMETERS, 'Incorrect parameters: page_cursor is not a cursor this list issued.');
    }
  } else {
    let skip = typeof p.start === 'number' ? p.start : 0;
    while (skip > 0) {
      const chunk = await variantRefs(ctx.deps.db, ctx.tenantId, con.id, f, after, Math.min(250, skip));
      if (chunk.length === 0) break;
      skip -= chunk.length;
      after = chunk[chunk.length - 1]!.id;
    }
  }
  const refs = count === 0 ? [] : await variantRefs(ctx.deps.db, ctx.tenantId, con.id, f, after, count + 1);
  const more = refs.length > count;
  const kept = more ? refs.slice(0, count) : refs;
  const products = new Map<string, Product>();
  const rows = await ctx.deps.db.selectFrom('products').selectAll().where('tenant_id', '=', ctx.tenantId).where('id', 'in', kept.length ? [...new Set(kept.map((r) => r.product_id))] : ['']).execute();
  const variants = await variantsForProducts(ctx.deps.db, ctx.tenantId, rows.map((r) => r.id));
  for (const r of rows) products.set(r.id, toProduct(r, variants.get(r.id) ?? []));
  const pairs = kept.flatMap((r) => {
    const product = products.get(r.product_id);
    const variant = product?.variants.find((v) => v.id === r.id);
    return product && variant ? [{ product, variant }] : [];
  });
  const levels = await levelsBySku(ctx.deps.db, ctx.tenantId, con.id, pairs.map((x) => x.variant.sku));
  const last = kept[kept.length - 1];
  const next = more && last ? encodeCursor({ s: 'id', v: null, id: last.id }) : null;
  return { pairs, levels, next };
}

function variantFilters(p: Params) {
  return {
    product_id: typeof p.product_id === 'string' ? p.product_id : undefined,
    sku: typeof p.sku === 'string' ? p.sku : undefined,
    updated_from: p.modified_from ? new Date(parseA2cDate('modified_from', p.modified_from)!) : undefined,
    updated_to: p.modified_to ? new Date(parseA2cDate('modified_to', p.modified_to)!) : undefined,
  };
}

export function registerCatalogMethods(r: MethodRegistry): void {
  r.register('product.list', productList);
  r.register('product.info', async (ctx, p) => {
    const product = await productOf(ctx, requireParam(p, 'id'));
    return { result: (await productsA2c(ctx, [product], p))[0] };
  });
  r.register('product.count', async (ctx, p) => {
    const { all } = await productFilters(ctx, p);
    return { result: { products_count: await countRows(ctx.deps.db, ctx.tenantId, 'products', all) } };
  });
  r.register('product.find', productFind);

  r.register('product.variant.list', async (ctx, p) => {
    // The document pages product.variant.list by start/count only (no page_cursor): no cursor to hand out.
    const { pairs, levels } = await variantPage(ctx, p, variantFilters(p));
    return { result: { variant: pairs.map(({ product, variant }) => selectFields(toA2cVariantProduct(product, variant, levels.get(variant.sku) ?? []), p.params, p.exclude)) } };
  });
  r.register('product.variant.info', async (ctx, p) => {
    const id = requireParam(p, 'id');
    const { pairs, levels } = await variantPage(ctx, { count: 1 }, { ids: [id] });
    const hit = pairs[0];
    if (!hit) throw notFoundIn('Variant', id);
    return { result: selectFields(toA2cVariantProduct(hit.product, hit.variant, levels.get(hit.variant.sku) ?? []), p.params, p.exclude) };
  });
  r.register('product.variant.count', async (ctx, p) => {
    const f = variantFilters(p);
    const productId = requireParam(p, 'product_id');
    return { result: { variants_count: await countVariants(ctx.deps.db, ctx.tenantId, connectionOf(ctx).id, productId, f) } };
  });
  r.register('product.child_item.list', async (ctx, p) => {
    const f = variantFilters(p);
    const ids = typeof p.product_ids === 'string' ? p.product_ids.split(',').filter(Boolean) : undefined;
    if (ids && ids.length === 1 && !f.product_id) f.product_id = ids[0];
    const { pairs, levels, next } = await variantPage(ctx, p, f);
    const total = await countVariants(ctx.deps.db, ctx.tenantId, connectionOf(ctx).id, f.product_id, f);
    const children = pairs.map(({ product, variant }) => selectFields(toA2cChild(product, variant, levels.get(variant.sku) ?? []), p.params, p.exclude));
    return { result: { total_count: total, children }, pagination: pagination(next) };
  });

  r.register('category.list', async (ctx, p) => {
    const f = { ...scopeFilters(ctx, p), parent_id: typeof p.parent_id === 'string' ? p.parent_id : undefined };
    const { items, next } = await pageOf(p, (cursor, limit) => listCategories(ctx.deps.db, ctx.tenantId, f, BY_ID, cursor, limit));
    const total = await countRows(ctx.deps.db, ctx.tenantId, 'categories', categoryConditions(f));
    return { result: { categories_count: total, category: items.map((c) => selectFields(toA2cCategory(c), p.params, p.exclude)) }, pagination: pagination(next) };
  });
  r.register('category.info', async (ctx, p) => {
    const id = requireParam(p, 'id');
    const c = await getCategory(ctx.deps.db, ctx.tenantId, id).catch(() => null);
    if (!c || c.connection_id !== connectionOf(ctx).id) throw notFoundIn('Category', id);
    return { result: selectFields(toA2cCategory(c), p.params, p.exclude) };
  });
  r.register('category.count', async (ctx, p) => {
    const f = { ...scopeFilters(ctx, p), parent_id: typeof p.parent_id === 'string' ? p.parent_id : undefined };
    return { result: { categories_count: await countRows(ctx.deps.db, ctx.tenantId, 'categories', categoryConditions(f)) } };
  });
}

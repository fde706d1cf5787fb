// The baseline: the same pages read with hand-written SQL through pg in this process, no HTTP, no
// framework. REST: a keyset page of orders on (tenant_id, created_at, id) plus their lines. GraphQL: the
// orders plus lines, shipments, customers, products, variants and inventory, in as few round trips as
// the data dependencies allow.
import type pg from 'pg';
import type { PageFetcher } from './measure.ts';

/** Where a page starts: the (created_at, id) of the last row served, newest first as the API sorts. */
export interface SqlCursor {
  createdAt: Date;
  id: string;
}

interface OrderRow {
  id: string;
  created_at: Date;
  customer_id: string | null;
}

const ORDER_PAGE = `
  SELECT id, tenant_id, connection_id, channel, external_id, order_number, marketplace_id, status, channel_status,
         fulfillment_channel, currency, subtotal, shipping_total, tax_total, discount_total, grand_total, billing_address,
         shipping_address, customer_id, customer_external_id, customer_email, customer_name, placed_at, created_at,
         updated_at, synced_at, deleted_at
  FROM orders
  WHERE tenant_id = $1 AND deleted_at IS NULL`;

async function orderPage(pool: pg.Pool, tenantId: string, cursor: SqlCursor | null, limit: number): Promise<{ rows: OrderRow[]; next: SqlCursor | null }> {
  const res = cursor
    ? await pool.query<OrderRow>(`${ORDER_PAGE} AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT $4`, [tenantId, cursor.createdAt, cursor.id, limit + 1])
    : await pool.query<OrderRow>(`${ORDER_PAGE} ORDER BY created_at DESC, id DESC LIMIT $2`, [tenantId, limit + 1]);
  const more = res.rows.length > limit;
  const rows = more ? res.rows.slice(0, limit) : res.rows;
  const last = rows[rows.length - 1];
  return { rows, next: more && last ? { createdAt: last.created_at, id: last.id } : null };
}

const LINES = 'SELECT * FROM order_lines WHERE tenant_id = $1 AND order_id = ANY($2) ORDER BY order_id, position';

/** REST's reads: a page of orders and their lines (two queries). */
export function restBaseline(pool: pg.Pool, tenantId: string, limit: number): PageFetcher<SqlCursor> {
  return async (cursor) => {
    const page = await orderPage(pool, tenantId, cursor, limit);
    await pool.query(LINES, [tenantId, page.rows.map((r) => r.id)]);
    return { next: page.next, rows: page.rows.length };
  };
}

const unique = <T>(values: Iterable<T | null>): T[] => [...new Set([...values].filter((v): v is T => v !== null))];

/** GraphQL's reads: orders; then lines, shipments, customers; then products and variants; then inventory. */
export function graphqlBaseline(pool: pg.Pool, tenantId: string, limit: number): PageFetcher<SqlCursor> {
  return async (cursor) => {
    const page = await orderPage(pool, tenantId, cursor, limit);
    const orderIds = page.rows.map((r) => r.id);
    const [lines] = await Promise.all([
      pool.query<{ product_id: string | null }>(LINES, [tenantId, orderIds]),
      pool.query('SELECT * FROM shipments WHERE tenant_id = $1 AND order_id = ANY($2) ORDER BY order_id, created_at, id', [tenantId, orderIds]),
      pool.query('SELECT * FROM customers WHERE tenant_id = $1 AND id = ANY($2)', [tenantId, unique(page.rows.map((r) => r.customer_id))]),
    ]);
    const productIds = unique(lines.rows.map((l) => l.product_id));
    const [, variants] = await Promise.all([
      pool.query('SELECT * FROM products WHERE tenant_id = $1 AND id = ANY($2)', [tenantId, productIds]),
      pool.query<{ sku: string }>('SELECT * FROM product_variants WHERE tenant_id = $1 AND product_id = ANY($2) ORDER BY product_id, position, id', [tenantId, productIds]),
    ]);
    await pool.query('SELECT * FROM inventory_levels WHERE tenant_id = $1 AND sku = ANY($2) ORDER BY id', [tenantId, unique(variants.rows.map((v) => v.sku))]);
    return { next: page.next, rows: page.rows.length };
  };
}

/** The cursors that start pages at the given row offsets (0: the first page), and each page's first order id. */
export async function cursorsAt(pool: pg.Pool, tenantId: string, offsets: readonly number[]): Promise<{ offset: number; cursor: SqlCursor | null; firstId: string }[]> {
  const out = [];
  for (const offset of offsets) {
    const res = await pool.query<{ id: string; created_at: Date }>(
      'SELECT id, created_at FROM orders WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 2',
      [tenantId, Math.max(0, offset - 1)],
    );
    const [before, at] = offset === 0 ? [undefined, res.rows[0]] : [res.rows[0], res.rows[1]];
    if (!at) throw new Error(`no order at offset ${offset}`);
    out.push({ offset, cursor: before ? { createdAt: before.created_at, id: before.id } : null, firstId: at.id });
  }
  return out;
}

// Stock deduction for orders saved through POST /V1/orders. Magento reserves or deducts stock only when an
// order is placed through checkout (quote submit); saving the order entity does neither, so an imported
// order would leave its quantities salable. This module takes them off Magento's stock once per order,
// however often the import is retried, through a plan kept in the order's own status history:
//
//   1. `[sy-stock-<hash>]` plan comment with every SKU's quantity before and after (written FIRST),
//   2. the absolute "after" quantities written (MSI: the `default` source item; legacy: the stock item),
//   3. `[sy-stock-<hash>:done]` comment.
//
// A retry reads the history: done → nothing; a plan without done → the planned "after" values are
// written again where the stock still shows the planned "before" (absolute values: never twice).
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError, isAppError } from '../../core/errors.ts';
import { searchQuery, type MagentoClient } from './client.ts';

/** The MSI source that imported orders take stock from (Magento's single-source mode uses it too). */
export const ORDER_STOCK_SOURCE = 'default';

export interface OrderStockLine {
  sku: string;
  quantity: number;
}

/** The order as createOrder knows it: id, status (a comment must repeat it) and its history so far. */
export interface OrderStockTarget {
  id: string;
  status: string | null;
  histories: { comment?: string | null }[];
}

export type OrderStockOutcome =
  /** Deducted now (plan, stock, done). */
  | 'deducted'
  /** A plan from an earlier attempt was finished. */
  | 'resumed'
  /** The done note was already there. */
  | 'already_done'
  /** No line had stock to take from. */
  | 'nothing';

export interface OrderStockResult {
  outcome: OrderStockOutcome;
  /** Per SKU: [before, after] as planned. */
  planned: Record<string, [number, number]>;
  /** SKUs left alone, with why (no stock item, not managed, changed since the plan). */
  skipped: { sku: string; reason: string }[];
  /** Magento requests this call made. */
  requests: number;
}

interface Plan {
  v: 1;
  /** MSI source code, or null for the legacy stock item. */
  source: string | null;
  items: Record<string, [number, number]>;
}

interface StockNow {
  qty: number;
  /** MSI source item status, or legacy is_in_stock as 0/1. */
  status: 0 | 1;
  /** Legacy stock item id (the PUT route names it). */
  itemId?: number;
}

/** The marker of one order's deduction: `sy-stock-` and a hash of the write's idempotency key. */
export function stockMarker(idempotencyKey: string): string {
  return `sy-stock-${createHash('sha256').update(`order-stock\n${idempotencyKey}`).digest('hex').slice(0, 24)}`;
}

const round4 = (n: number) => Math.round(n * 10_000) / 10_000;

/** Magento stores the comment as sent, but an admin edit or an extension may HTML-escape it: undo that. */
const unescapeHtml = (s: string) => s.replace(/&quot;/g, '"').replace(/&#0?39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

function findPlan(histories: OrderStockTarget['histories'], marker: string): Plan | null {
  const tag = `[${marker}]: `;
  for (const h of histories) {
    const c = h.comment ? unescapeHtml(h.comment) : '';
    const at = c.indexOf(tag);
    if (at < 0) continue;
    try {
      const p = JSON.parse(c.slice(at + tag.length)) as Plan;
      if (p && p.v === 1 && p.items && typeof p.items === 'object') return p;
    } catch {
      // a comment that only looks like ours: keep looking
    }
  }
  return null;
}

const isDone = (histories: OrderStockTarget['histories'], marker: string) => histories.some((h) => (h.comment ?? '').includes(`[${marker}:done]`));

/** Quantities per SKU, lines of the same SKU summed, in the order they first appear. */
function wanted(lines: OrderStockLine[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of lines) if (l.quantity > 0) out.set(l.sku, round4((out.get(l.sku) ?? 0) + l.quantity));
  return out;
}

export interface OrderStockDeps {
  client: MagentoClient;
  usesMsi(): Promise<boolean>;
  /** The order's status history as Magento has it now. */
  history(orderId: string): Promise<OrderStockTarget['histories']>;
  log?: Logger | undefined;
}

/**
 * Deductions of one adapter instance run one at a time: Magento's stock routes have no compare-and-set,
 * so two imports of the same SKU reading the same "before" would lose one deduction.
 */
export function createOrderStock(deps: OrderStockDeps) {
  const { client, log } = deps;
  let chain: Promise<unknown> = Promise.resolve();
  const enc = encodeURIComponent;
  /**
   * Markers this instance sent a plan for. A second call for the same order that queued behind the first
   * (the same operation run twice at once) holds a history read before that plan: it reads it again.
   */
  const sentPlans = new Set<string>();

  async function readMsi(skus: string[]): Promise<{ now: Map<string, StockNow>; requests: number }> {
    const now = new Map<string, StockNow>();
    let requests = 0;
    for (let i = 0; i < skus.length; i += 100) {
      const chunk = skus.slice(i, i + 100);
      const res = await client.request<{ items?: Record<string, unknown>[] }>({
        method: 'GET',
        path: '/V1/inventory/source-items',
        query: searchQuery({
          groups: [[{ field: 'sku', value: chunk.join(','), condition: 'in' }], [{ field: 'source_code', value: ORDER_STOCK_SOURCE, condition: 'eq' }]],
          pageSize: chunk.length,
          currentPage: 1,
        }),
      });
      requests++;
      // SKUs compare case-insensitively in Magento; the order line's spelling is the key here.
      const bySku = new Map((res.items ?? []).map((r) => [String(r.sku).toLowerCase(), r]));
      for (const sku of chunk) {
        const r = bySku.get(sku.toLowerCase());
        if (r) now.set(sku, { qty: Number(r.quantity ?? 0), status: Number(r.status) === 1 ? 1 : 0 });
      }
    }
    return { now, requests };
  }

  async function readLegacy(skus: string[]): Promise<{ now: Map<string, StockNow>; requests: number; unmanaged: Set<string> }> {
    const now = new Map<string, StockNow>();
    const unmanaged = new Set<string>();
    let requests = 0;
    for (const sku of skus) {
      try {
        requests++;
        const item = await client.request<{ item_id?: number; qty?: number; is_in_stock?: boolean; manage_stock?: boolean }>({ method: 'GET', path: `/V1/stockItems/${enc(sku)}` });
        if (item.manage_stock === false) unmanaged.add(sku);
        else if (typeof item.item_id === 'number') now.set(sku, { qty: Number(item.qty ?? 0), status: item.is_in_stock ? 1 : 0, itemId: item.item_id });
      } catch (err) {
        if (!isAppError(err) || err.kind !== 'not_found') throw err;
      }
    }
    return { now, requests, unmanaged };
  }

  async function write(msi: boolean, items: [string, number, StockNow][]): Promise<number> {
    if (items.length === 0) return 0;
    if (msi) {
      // One request: Magento saves the list in one transaction. A source item whose quantity reaches 0
      // goes out of stock; otherwise its status stays what the merchant set.
      await client.request({
        method: 'POST',
        path: '/V1/inventory/source-items',
        body: { sourceItems: items.map(([sku, after, now]) => ({ sku, source_code: ORDER_STOCK_SOURCE, quantity: after, status: after > 0 ? now.status : 0 })) },
      });
      return 1;
    }
    for (const [sku, after, now] of items) {
      await client.request({ method: 'PUT', path: `/V1/products/${enc(sku)}/stockItems/${now.itemId}`, body: { stockItem: { qty: after, is_in_stock: after > 0 } } });
    }
    return items.length;
  }

  async function comment(order: OrderStockTarget, text: string): Promise<void> {
    const ok = await client.request<boolean>({
      method: 'POST',
      path: `/V1/orders/${enc(order.id)}/comments`,
      // The status is repeated: Magento sets the order's status from the comment's (an empty one blanks it).
      body: { statusHistory: { comment: text, is_customer_notified: 0, is_visible_on_front: 0, parent_id: Number(order.id), ...(order.status ? { status: order.status } : {}) } },
    });
    if (ok === false) throw new AppError('upstream_rejected', `magento did not add the stock note to order ${order.id}`);
  }

  async function run(order: OrderStockTarget, lines: OrderStockLine[], idempotencyKey: string): Promise<OrderStockResult> {
    const marker = stockMarker(idempotencyKey);
    let histories = order.histories;
    let reread = 0;
    if (sentPlans.has(marker) && !findPlan(histories, marker)) {
      histories = await deps.history(order.id);
      reread = 1;
    }
    if (isDone(histories, marker)) return { outcome: 'already_done', planned: {}, skipped: [], requests: reread };
    const msi = await deps.usesMsi();
    const earlier = findPlan(histories, marker);
    const skus = earlier ? Object.keys(earlier.items) : [...wanted(lines).keys()];
    const read: { now: Map<string, StockNow>; requests: number; unmanaged?: Set<string> } = msi ? await readMsi(skus) : await readLegacy(skus);
    let requests = read.requests + reread;
    const skipped: { sku: string; reason: string }[] = [];
    const writes: [string, number, StockNow][] = [];
    let planned: Record<string, [number, number]>;
    if (!earlier) {
      planned = {};
      for (const [sku, qty] of wanted(lines)) {
        const now = read.now.get(sku);
        if (!now) {
          const unmanaged = read.unmanaged?.has(sku) ?? false;
          skipped.push({ sku, reason: unmanaged ? 'stock not managed' : msi ? `no "${ORDER_STOCK_SOURCE}" source item` : 'no stock item' });
          continue;
        }
        planned[sku] = [now.qty, round4(now.qty - qty)];
        writes.push([sku, round4(now.qty - qty), now]);
      }
      if (writes.length === 0) {
        log?.info({ order_id: order.id, skipped }, 'magento order stock: no line has stock to deduct');
        return { outcome: 'nothing', planned, skipped, requests };
      }
      // The plan goes first: once it is stored, no retry computes a second deduction from a fresh read.
      const plan: Plan = { v: 1, source: msi ? ORDER_STOCK_SOURCE : null, items: planned };
      // Remembered before sending: a plan whose answer is lost may still have been stored.
      if (sentPlans.size >= 10_000) sentPlans.clear();
      sentPlans.add(marker);
      await comment(order, `Switchyard stock deduction [${marker}]: ${JSON.stringify(plan)}`);
      requests++;
    } else {
      planned = earlier.items;
      for (const [sku, [before, after]] of Object.entries(planned)) {
        const now = read.now.get(sku);
        if (!now) skipped.push({ sku, reason: 'stock item gone since the plan' });
        else if (now.qty === after) continue;
        else if (now.qty === before) writes.push([sku, after, now]);
        // Neither planned value: someone else changed the stock since. Whether our write landed cannot be
        // told, and writing "after" over their change could undo a receipt: left alone, and said so.
        else skipped.push({ sku, reason: `stock is ${now.qty}, planned ${before} → ${after}` });
      }
      if (skipped.length) log?.warn({ order_id: order.id, skipped }, 'magento order stock: stock changed since the plan; left alone');
    }
    requests += await write(msi, writes);
    const skippedNote = skipped.length ? ` (left alone: ${skipped.map((s) => `${s.sku}: ${s.reason}`).join('; ')})` : '';
    await comment(order, `Switchyard stock deduction done [${marker}:done]${skippedNote}`);
    requests++;
    log?.info({ order_id: order.id, skus: Object.keys(planned).length, written: writes.length, resumed: !!earlier, requests }, 'magento order stock deducted');
    return { outcome: earlier ? 'resumed' : 'deducted', planned, skipped, requests };
  }

  return {
    /** Takes the lines' quantities off Magento stock once for this order (see the file's head). */
    deduct(order: OrderStockTarget, lines: OrderStockLine[], idempotencyKey: string): Promise<OrderStockResult> {
      const next = chain.then(() => run(order, lines, idempotencyKey));
      chain = next.catch(() => undefined);
      return next;
    },
  };
}

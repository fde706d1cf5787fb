// Writes: each idempotent by a read first or by a marker it leaves upstream (an ext_order_id, a shipment
// comment, an order history comment), so a retried operation never acts twice. Stock by MSI source items
// or legacy stock items; prices by the base-prices API (per-product saves where it is off).
import { AppError, isAppError } from '../../core/errors.ts';
import type { OrderInput } from '../../core/model/index.ts';
import {
  inventoryLevelId,
  type BulkResult,
  type CancelOrderInput,
  type ChannelWrites,
  type CreateShipmentInput,
  type ItemIssue,
  type OrderCommentInput,
  type SetStockInput,
  type UpdatePriceInput,
  type UpdateProductInput,
  type WriteContext,
  type WriteResult,
} from '../../core/ports.ts';
import { searchQuery, type Filter } from './client.ts';
import { createOrderStock } from './order-stock.ts';
import { orderEntity } from './order-payload.ts';
import { historiesOf, idempotencyMarker, type MagentoSession, type SearchResult } from './session.ts';

const KNOWN_CARRIERS = new Set(['ups', 'usps', 'fedex', 'dhl', 'tablerate', 'flatrate', 'freeshipping']);

export function createWrites(session: MagentoSession): ChannelWrites {
  const { client, settings: s, log } = session;
  const seg = encodeURIComponent;
  const orderStock = createOrderStock({
    client,
    usesMsi: () => session.usesMsi(),
    history: async (id) => historiesOf(await session.getOrder(id)),
    log,
  });

  async function sourceItems(skus: string[], source?: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (let i = 0; i < skus.length; i += 100) {
      const chunk = skus.slice(i, i + 100);
      const groups: Filter[][] = [[{ field: 'sku', value: chunk.join(','), condition: 'in' }]];
      if (source) groups.push([{ field: 'source_code', value: source, condition: 'eq' }]);
      const res = await client.request<SearchResult>({ method: 'GET', path: '/V1/inventory/source-items', query: searchQuery({ groups, pageSize: 300, currentPage: 1 }) });
      for (const r of res.items ?? []) out.set(inventoryLevelId(String(r.sku), String(r.source_code)), Number(r.quantity));
    }
    return out;
  }

  async function setStock(input: SetStockInput): Promise<WriteResult> {
    if (await session.usesMsi()) {
      const source = input.location_id ?? 'default';
      const current = await sourceItems([input.sku], source);
      const id = inventoryLevelId(input.sku, source);
      // Setting an absolute quantity is idempotent by nature; reading first keeps a retry from writing at all.
      if (current.get(id) === input.quantity) return { external_id: id, data: { quantity: input.quantity, unchanged: true } };
      await client.request({ method: 'POST', path: '/V1/inventory/source-items', body: { sourceItems: [{ sku: input.sku, source_code: source, quantity: input.quantity, status: input.quantity > 0 ? 1 : 0 }] } });
      return { external_id: id, data: { quantity: input.quantity } };
    }
    if (input.location_id && input.location_id !== 'default') throw new AppError('validation', `magento without MSI has one stock; location "${input.location_id}" does not exist`, { errors: [{ path: 'location_id', message: 'must be "default" or empty' }] });
    const item = await client.request<{ item_id?: number; qty?: number }>({ method: 'GET', path: `/V1/stockItems/${seg(input.sku)}` });
    const id = inventoryLevelId(input.sku, 'default');
    if (item.qty === input.quantity) return { external_id: id, data: { quantity: input.quantity, unchanged: true } };
    if (item.item_id === undefined) throw new AppError('upstream_rejected', `magento stock item of ${input.sku} has no item_id`);
    await client.request({ method: 'PUT', path: `/V1/products/${seg(input.sku)}/stockItems/${item.item_id}`, body: { stockItem: { qty: input.quantity, is_in_stock: input.quantity > 0 } } });
    return { external_id: id, data: { quantity: input.quantity } };
  }

  async function setStockBulk(inputs: SetStockInput[]): Promise<BulkResult> {
    const issues: ItemIssue[] = [];
    const accepted: string[] = [];
    if (!(await session.usesMsi())) {
      for (const i of inputs) {
        try {
          await setStock(i);
          accepted.push(i.sku);
        } catch (err) {
          if (!isAppError(err) || err.retriable) throw err;
          issues.push({ sku: i.sku, code: err.kind, message: err.message, severity: 'error' });
        }
      }
      return { accepted, issues };
    }
    const current = await sourceItems([...new Set(inputs.map((i) => i.sku))]);
    const changed = inputs.filter((i) => current.get(inventoryLevelId(i.sku, i.location_id ?? 'default')) !== i.quantity);
    // One POST for every source item that differs (Magento saves the list in one transaction).
    for (let k = 0; k < changed.length; k += 500) {
      const chunk = changed.slice(k, k + 500);
      await client.request({
        method: 'POST',
        path: '/V1/inventory/source-items',
        body: { sourceItems: chunk.map((i) => ({ sku: i.sku, source_code: i.location_id ?? 'default', quantity: i.quantity, status: i.quantity > 0 ? 1 : 0 })) },
      });
    }
    return { accepted: inputs.map((i) => i.sku), issues };
  }

  async function updateProduct(input: UpdateProductInput): Promise<WriteResult> {
    const f = input.fields;
    const product: Record<string, unknown> = { sku: input.sku };
    if (f.title !== undefined) product.name = f.title;
    if (f.status !== undefined) {
      if (!['active', 'inactive', 'draft', 'archived'].includes(f.status)) throw new AppError('validation', `magento has no product status "${f.status}"`, { errors: [{ path: 'fields.status', message: 'unknown status' }] });
      product.status = f.status === 'active' ? 1 : 2;
    }
    const custom: { attribute_code: string; value: string }[] = [];
    if (f.description !== undefined) custom.push({ attribute_code: 'description', value: f.description ?? '' });
    for (const [k, v] of Object.entries(f.attributes ?? {})) custom.push({ attribute_code: k, value: Array.isArray(v) ? v.join(',') : v == null ? '' : String(v) });
    if (custom.length) product.custom_attributes = custom;
    // /rest/all/ writes the default (all store views) values; a PUT of the same fields twice changes nothing.
    await client.request({ method: 'PUT', store: 'all', path: `/V1/products/${seg(input.sku)}`, body: { product } });
    return { external_id: input.sku };
  }

  async function checkCurrency(p: UpdatePriceInput): Promise<void> {
    const { currency } = await session.store();
    for (const m of [p.price, p.sale_price]) {
      if (m && m.currency !== currency) throw new AppError('validation', `magento prices of this store are in ${currency}, not ${m.currency}`, { errors: [{ path: 'price.currency', message: `must be ${currency}` }] });
    }
  }

  async function updatePrice(input: UpdatePriceInput): Promise<WriteResult> {
    await checkCurrency(input);
    const product: Record<string, unknown> = { sku: input.sku, price: Number(input.price.amount) };
    if (input.sale_price !== undefined) product.custom_attributes = [{ attribute_code: 'special_price', value: input.sale_price ? input.sale_price.amount : '' }];
    await client.request({ method: 'PUT', store: 'all', path: `/V1/products/${seg(input.sku)}`, body: { product } });
    return { external_id: input.sku, data: { price: input.price.amount } };
  }

  async function updatePriceBulk(inputs: UpdatePriceInput[]): Promise<BulkResult> {
    const issues: ItemIssue[] = [];
    const ok: UpdatePriceInput[] = [];
    for (const i of inputs) {
      try {
        await checkCurrency(i);
        ok.push(i);
      } catch (err) {
        issues.push({ sku: i.sku, code: 'currency', message: (err as Error).message, severity: 'error' });
      }
    }
    const failed = new Set<string>();
    for (let k = 0; k < ok.length; k += 500) {
      const chunk = ok.slice(k, k + 500);
      let result: { message?: string; parameters?: string[] }[];
      try {
        result = await client.request<{ message?: string; parameters?: string[] }[]>({
          method: 'POST',
          path: '/V1/products/base-prices',
          body: { prices: chunk.map((i) => ({ sku: i.sku, price: Number(i.price.amount), store_id: 0 })) },
        });
      } catch (err) {
        // Stores without the price API (Magento_CatalogPriceApi off): one product save per SKU.
        if (!isAppError(err) || err.kind !== 'not_found') throw err;
        result = [];
        for (const i of chunk) {
          try {
            await updatePrice(i);
          } catch (e) {
            if (!isAppError(e) || e.retriable) throw e;
            result.push({ message: e.message, parameters: [i.sku] });
          }
        }
      }
      for (const r of result ?? []) {
        const sku = chunk.find((i) => (r.parameters ?? []).includes(i.sku))?.sku ?? '(unknown)';
        failed.add(sku);
        issues.push({ sku, code: 'rejected', message: String(r.message ?? 'rejected').replace(/%(\d+)/g, (m, n: string) => r.parameters?.[Number(n) - 1] ?? m), severity: 'error' });
      }
    }
    return { accepted: ok.map((i) => i.sku).filter((sku) => !failed.has(sku)), issues };
  }

  async function orderByExtId(ext: string): Promise<Record<string, unknown> | null> {
    const res = await client.request<SearchResult>({ method: 'GET', path: '/V1/orders', query: searchQuery({ groups: [[{ field: 'ext_order_id', value: ext, condition: 'eq' }]], pageSize: 1, currentPage: 1 }) });
    return res.items?.[0] ?? null;
  }

  /**
   * Saving the order entity reserves and deducts nothing (no checkout runs): with `order_stock: 'deduct'`
   * the lines' quantities are taken off stock here, once per order however often this is retried
   * (order-stock.ts). An order found by its ext_order_id (an earlier attempt created it) still goes
   * through this step: that attempt may have stopped before, during or after the stock write.
   */
  async function withStock(order: Record<string, unknown>, input: OrderInput, w: WriteContext, data: Record<string, unknown>): Promise<WriteResult> {
    const id = String(order.entity_id);
    if (s.order_stock === 'none') return { external_id: id, data };
    // The order answers carry the status history; one that does not (a trimmed answer) is read again,
    // since an earlier attempt's plan must never be missed.
    const histories = historiesOf(Array.isArray(order.status_histories) ? order : await session.getOrder(id));
    const res = await orderStock.deduct({ id, status: typeof order.status === 'string' ? order.status : null, histories }, input.lines, w.idempotencyKey);
    return { external_id: id, data: { ...data, stock: res.outcome, ...(res.skipped.length ? { stock_skipped: res.skipped } : {}) } };
  }

  async function createOrder(input: OrderInput, w: WriteContext): Promise<WriteResult> {
    const ext = idempotencyMarker(w.idempotencyKey);
    const found = await orderByExtId(ext);
    if (found) return withStock(found, input, w, { increment_id: found.increment_id ?? null, existing: true });
    const entity = orderEntity(input, ext, s.order_payment_method);
    const created = await client.request<Record<string, unknown>>({ method: 'POST', path: '/V1/orders', body: { entity } });
    return withStock(created, input, w, { increment_id: created.increment_id ?? null });
  }

  async function createShipment(input: CreateShipmentInput, w: WriteContext): Promise<WriteResult> {
    const orderId = input.order_external_id;
    const marker = idempotencyMarker(w.idempotencyKey);
    const existing = await client.request<SearchResult>({ method: 'GET', path: '/V1/shipments', query: searchQuery({ groups: [[{ field: 'order_id', value: orderId, condition: 'eq' }]], pageSize: 100, currentPage: 1 }) });
    const mine = (existing.items ?? []).find((sh) => ((sh.comments ?? []) as { comment?: string }[]).some((c) => c.comment?.includes(marker)));
    if (mine) return { external_id: String(mine.entity_id), data: { order_external_id: orderId, existing: true } };
    let items = input.lines.filter((l) => l.external_line_id).map((l) => ({ order_item_id: Number(l.external_line_id), qty: l.quantity }));
    if (items.length !== input.lines.length) {
      const order = await session.getOrder(orderId);
      const orderItems = ((order.items ?? []) as { item_id: number; sku: string; parent_item_id?: number | null }[]).filter((i) => i.parent_item_id == null);
      items = input.lines.map((l) => {
        if (l.external_line_id) return { order_item_id: Number(l.external_line_id), qty: l.quantity };
        const hit = orderItems.find((i) => i.sku === l.sku);
        if (!hit) throw new AppError('validation', `magento order ${orderId} has no line with SKU ${l.sku}`, { errors: [{ path: 'lines', message: `unknown SKU ${l.sku}` }] });
        return { order_item_id: hit.item_id, qty: l.quantity };
      });
    }
    const carrier = (input.carrier ?? '').trim();
    const code = KNOWN_CARRIERS.has(carrier.toLowerCase()) ? carrier.toLowerCase() : 'custom';
    const body: Record<string, unknown> = {
      items,
      notify: false,
      appendComment: true,
      // The marker lets a retried request find this shipment instead of creating a second one.
      comment: { comment: `Shipped via Switchyard [${marker}]`, is_visible_on_front: 0 },
    };
    if (input.tracking_number) body.tracks = [{ track_number: input.tracking_number, title: input.service ?? (carrier || 'Carrier'), carrier_code: code }];
    const id = await client.request<number | string>({ method: 'POST', path: `/V1/order/${seg(orderId)}/ship`, body });
    return { external_id: String(id), data: { order_external_id: orderId } };
  }

  async function addOrderComment(input: OrderCommentInput, w: WriteContext): Promise<WriteResult> {
    const marker = idempotencyMarker(w.idempotencyKey);
    const order = await session.getOrder(input.order_external_id);
    const histories = (order.status_histories ?? []) as { entity_id?: number; comment?: string }[];
    const mine = histories.find((h) => h.comment?.includes(marker));
    if (mine) return { external_id: mine.entity_id == null ? null : String(mine.entity_id), data: { existing: true } };
    const ok = await client.request<boolean>({
      method: 'POST',
      path: `/V1/orders/${seg(input.order_external_id)}/comments`,
      body: { statusHistory: { comment: `${input.comment} [${marker}]`, is_customer_notified: input.notify_customer ? 1 : 0, is_visible_on_front: 0, parent_id: Number(input.order_external_id), status: order.status } },
    });
    if (ok === false) throw new AppError('upstream_rejected', `magento did not add the comment to order ${input.order_external_id}`);
    return { external_id: null, data: { order_external_id: input.order_external_id } };
  }

  async function cancelOrder(input: CancelOrderInput): Promise<WriteResult> {
    const order = await session.getOrder(input.order_external_id);
    if (order.state === 'canceled') return { external_id: input.order_external_id, data: { status: order.status, existing: true } };
    const ok = await client.request<boolean>({ method: 'POST', path: `/V1/orders/${seg(input.order_external_id)}/cancel` });
    if (ok !== true) throw new AppError('upstream_rejected', `magento refused to cancel order ${input.order_external_id} (state ${String(order.state)})`, { retriable: false });
    return { external_id: input.order_external_id, data: { status: 'canceled' } };
  }

  return {
    setStock: (input) => setStock(input),
    setStockBulk: (inputs) => setStockBulk(inputs),
    updateProduct: (input) => updateProduct(input),
    updatePrice: (input) => updatePrice(input),
    updatePriceBulk: (inputs) => updatePriceBulk(inputs),
    createOrder: (input, w) => createOrder(input, w),
    createShipment: (input, w) => createShipment(input, w),
    addOrderComment: (input, w) => addOrderComment(input, w),
    cancelOrder: (input) => cancelOrder(input),
  };
}

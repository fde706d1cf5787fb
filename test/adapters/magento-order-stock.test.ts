// An order imported through POST /V1/orders reserves nothing in Magento (no checkout runs), so createOrder
// takes the ordered quantities off stock itself: once, through a plan note in the order's history written
// before the stock, whatever fails between the steps and however often the import is retried. Against the
// Magento simulator, whose shipments and cancels move stock as MSI does for any order.
import { afterEach, describe, expect, test } from 'vitest';
import { createMagentoAdapter, magentoAdapter } from '../../src/adapters/magento/index.ts';
import { stockMarker } from '../../src/adapters/magento/order-stock.ts';
import { OrderInput } from '../../src/core/model/index.ts';
import { startMagentoSim, type MagentoSim, type MagentoSimOptions } from '../sim/magento/index.ts';
import { failure } from '../support/adapter-calls.ts';

let sim: MagentoSim | undefined;
afterEach(async () => {
  if (sim) expect(sim.violations).toEqual([]);
  await sim?.stop();
  sim = undefined;
});

async function setup(options: MagentoSimOptions = {}, settings: Record<string, unknown> = {}) {
  sim = await startMagentoSim({ seed: { simples: 8, configurables: 1, orders: 4, customers: 2 }, ...options });
  const s = sim;
  const make = () =>
    createMagentoAdapter({
      connectionId: 'con_test',
      tenantId: 'ten_test',
      settings: magentoAdapter.settingsSchema.parse({ base_url: s.url, ...settings }),
      credentials: magentoAdapter.credentialsSchema.parse({ type: 'oauth1', ...s.credentials.oauth1 }),
      allowPrivateUpstreams: true,
    });
  const [a, b] = s.state.products.filter((p) => p.type_id === 'simple' && !p.parent_id).map((p) => p.sku);
  s.state.setSourceQty(a!, 'default', 20, false);
  s.state.setSourceQty(b!, 'default', 9, false);
  return { sim: s, adapter: make(), make, a: a!, b: b! };
}

const m = (amount: string) => ({ amount, currency: 'USD' });

/** An Amazon order: `a` twice on two lines (1 + 2) and `b` once. */
function order(id: string, a: string, b: string) {
  const line = (n: number, sku: string, quantity: number) => ({ external_id: `${id}-l${n}`, sku, title: sku, quantity, quantity_shipped: 0, quantity_canceled: 0, unit_price: m('5.00'), tax: m('0.00'), discount: m('0.00'), total: m((5 * quantity).toFixed(2)) });
  const address = { name: 'Ada Lovelace', line1: '1 Engine St', city: 'Austin', postal_code: '78701', country: 'US', phone: '555' };
  return OrderInput.parse({
    external_id: id,
    order_number: `113-${id}`,
    status: 'processing',
    channel_status: 'Unshipped',
    fulfillment_channel: 'merchant',
    currency: 'USD',
    totals: { subtotal: m('20.00'), shipping: m('0.00'), tax: m('0.00'), discount: m('0.00'), total: m('20.00') },
    billing_address: address,
    shipping_address: address,
    customer: { external_id: null, email: 'ada@example.com', name: 'Ada Lovelace' },
    lines: [line(1, a, 1), line(2, b, 1), line(3, a, 2)],
    placed_at: '2026-11-01T10:00:00.000Z',
    created_at: '2026-11-01T10:00:00.000Z',
    updated_at: '2026-11-01T10:00:00.000Z',
  });
}

const qty = (s: MagentoSim, sku: string) => s.state.sourceItem(sku, 'default')!.quantity;
const notes = (s: MagentoSim, orderId: string | null | undefined, key: string) =>
  s.state.ordersById.get(Number(orderId))!.comments.filter((c) => c.comment.includes(stockMarker(key))).map((c) => (c.comment.includes(':done]') ? 'done' : 'plan'));
const sourceWrites = (s: MagentoSim) => s.requests.filter((r) => r.method === 'POST' && r.path.includes('/V1/inventory/source-items') && r.status === 200).length;

describe('MSI', () => {
  test('an import deducts each SKU once (lines of one SKU summed); a repeat and a replay deduct nothing; salable follows', async () => {
    const { sim, adapter, make, a, b } = await setup();
    const w = { idempotencyKey: 'import-order:A-1' };
    const before = sim.requestCount();
    const first = await adapter.writes!.createOrder!(order('A-1', a, b), w);
    const cost = sim.requests.slice(before).map((r) => `${r.method} ${r.template}`);
    // search by ext_order_id, save, MSI probe (once per connection), read the source items, plan note,
    // one source-items save for every SKU, done note
    expect(cost).toEqual([
      'GET /V1/orders',
      'POST /V1/orders',
      'GET /V1/inventory/sources',
      'GET /V1/inventory/source-items',
      'POST /V1/orders/{id}/comments',
      'POST /V1/inventory/source-items',
      'POST /V1/orders/{id}/comments',
    ]);
    expect(first.data).toMatchObject({ stock: 'deducted' });
    expect([qty(sim, a), qty(sim, b)]).toEqual([17, 8]);
    expect([sim.state.salable(a, 1), sim.state.salable(b, 1)]).toEqual([17, 8]);
    expect(notes(sim, first.external_id, w.idempotencyKey)).toEqual(['plan', 'done']);
    const plan = sim.state.ordersById.get(Number(first.external_id))!.comments.find((c) => c.comment.includes(`[${stockMarker(w.idempotencyKey)}]`))!;
    expect(JSON.parse(plan.comment.slice(plan.comment.indexOf(']: ') + 3))).toEqual({ v: 1, source: 'default', items: { [a]: [20, 17], [b]: [9, 8] } });
    // the order's status is kept by the notes
    expect(sim.state.ordersById.get(Number(first.external_id))!.status).toBe('processing');

    const again = before + cost.length;
    const second = await adapter.writes!.createOrder!(order('A-1', a, b), w);
    expect(second).toMatchObject({ external_id: first.external_id, data: { existing: true, stock: 'already_done' } });
    // the done note comes with the order search: one request
    expect(sim.requestCount() - again).toBe(1);
    // a new adapter (another worker, after a restart) finds the same done note
    await make().writes!.createOrder!(order('A-1', a, b), w);
    expect([qty(sim, a), qty(sim, b)]).toEqual([17, 8]);
    expect(sourceWrites(sim)).toBe(1);
  });

  test('a crash after the plan note, before the stock write: the retry writes the planned quantities once', async () => {
    const { sim, adapter, a, b } = await setup();
    const w = { idempotencyKey: 'import-order:A-2' };
    sim.faults.failNext(503, 1, 'POST /V1/inventory/source-items');
    const err = await failure(adapter.writes!.createOrder!(order('A-2', a, b), w));
    expect([err.kind, err.retriable]).toEqual(['upstream_unavailable', true]);
    const created = sim.state.orderByExtId(sim.state.orders[sim.state.orders.length - 1]!.ext_order_id!)!;
    expect(notes(sim, String(created.entity_id), w.idempotencyKey)).toEqual(['plan']);
    expect([qty(sim, a), qty(sim, b)]).toEqual([20, 9]);
    const retry = await adapter.writes!.createOrder!(order('A-2', a, b), w);
    expect(retry).toMatchObject({ external_id: String(created.entity_id), data: { existing: true, stock: 'resumed' } });
    expect([qty(sim, a), qty(sim, b)]).toEqual([17, 8]);
    expect(notes(sim, retry.external_id, w.idempotencyKey)).toEqual(['plan', 'done']);
    await adapter.writes!.createOrder!(order('A-2', a, b), w);
    expect([qty(sim, a), qty(sim, b)]).toEqual([17, 8]);
    expect(sim.state.orders.filter((o) => o.ext_order_id === created.ext_order_id)).toHaveLength(1);
  });

  test('the stock write applied with its answer lost: the retry sees the planned quantities and writes nothing', async () => {
    const { sim, adapter, a, b } = await setup();
    const w = { idempotencyKey: 'import-order:A-3' };
    sim.faults.loseAnswerNext(1, 'POST /V1/inventory/source-items');
    expect((await failure(adapter.writes!.createOrder!(order('A-3', a, b), w))).kind).toBe('upstream_unavailable');
    expect([qty(sim, a), qty(sim, b)]).toEqual([17, 8]);
    const retry = await adapter.writes!.createOrder!(order('A-3', a, b), w);
    expect(retry.data).toMatchObject({ stock: 'resumed' });
    expect([qty(sim, a), qty(sim, b)]).toEqual([17, 8]);
    // one save applied (the lost one); the retry only added the done note
    expect(sim.requests.filter((r) => r.method === 'POST' && r.path.includes('/V1/inventory/source-items')).length).toBe(1);
    expect(notes(sim, retry.external_id, w.idempotencyKey)).toEqual(['plan', 'done']);
  });

  test('the plan note applied with its answer lost, and the order create answer lost before it: still once', async () => {
    const { sim, adapter, a, b } = await setup();
    const w = { idempotencyKey: 'import-order:A-4' };
    sim.faults.loseAnswerNext(1, 'POST /V1/orders');
    expect((await failure(adapter.writes!.createOrder!(order('A-4', a, b), w))).kind).toBe('upstream_unavailable');
    expect([qty(sim, a), qty(sim, b)]).toEqual([20, 9]);
    sim.faults.loseAnswerNext(1, '/comments');
    expect((await failure(adapter.writes!.createOrder!(order('A-4', a, b), w))).kind).toBe('upstream_unavailable');
    // Someone sells one more of `b` in between: the plan's "before" no longer holds for it, so the retry
    // leaves `b` alone (it cannot tell whether its write landed) and says so; `a` is finished.
    sim.state.setSourceQty(b, 'default', 7, false);
    const retry = await adapter.writes!.createOrder!(order('A-4', a, b), w);
    expect(retry.data).toMatchObject({ stock: 'resumed', stock_skipped: [{ sku: b, reason: 'stock is 7, planned 9 → 8' }] });
    expect([qty(sim, a), qty(sim, b)]).toEqual([17, 7]);
    expect(sim.state.orders.filter((o) => o.items.some((i) => i.ext_order_item_id === 'A-4-l1'))).toHaveLength(1);
    const done = sim.state.ordersById.get(Number(retry.external_id))!.comments.find((c) => c.comment.includes(':done]'))!;
    expect(done.comment).toContain(`left alone: ${b}: stock is 7`);
  });

  test('the same import retried twice at once (the order already created) deducts once', async () => {
    const { sim, adapter, a, b } = await setup();
    const w = { idempotencyKey: 'import-order:D-1' };
    sim.faults.loseAnswerNext(1, 'POST /V1/orders');
    expect((await failure(adapter.writes!.createOrder!(order('D-1', a, b), w))).kind).toBe('upstream_unavailable');
    const [x, y] = await Promise.all([adapter.writes!.createOrder!(order('D-1', a, b), w), adapter.writes!.createOrder!(order('D-1', a, b), w)]);
    expect(x.external_id).toBe(y.external_id);
    expect([x.data?.stock, y.data?.stock]).toEqual(['deducted', 'already_done']);
    expect([qty(sim, a), qty(sim, b)]).toEqual([17, 8]);
    expect(notes(sim, x.external_id, w.idempotencyKey)).toEqual(['plan', 'done']);
  });

  test('imports of one SKU running at once on one connection both deduct (no lost update)', async () => {
    const { sim, adapter, a, b } = await setup();
    await Promise.all(['C-1', 'C-2', 'C-3'].map((id) => adapter.writes!.createOrder!(order(id, a, b), { idempotencyKey: `import-order:${id}` })));
    expect([qty(sim, a), qty(sim, b)]).toEqual([11, 6]);
  });

  test('after the import, shipping keeps salable where the import put it and cancelling gives the rest back', async () => {
    const { sim, adapter, a, b } = await setup();
    const res = await adapter.writes!.createOrder!(order('S-1', a, b), { idempotencyKey: 'import-order:S-1' });
    expect(sim.state.salable(a, 1)).toBe(17);
    const o = sim.state.ordersById.get(Number(res.external_id))!;
    const lineA = o.items.find((i) => i.sku === a)!;
    await adapter.writes!.createShipment!({ order_external_id: String(o.entity_id), lines: [{ external_line_id: String(lineA.item_id), sku: a, quantity: 1 }], carrier: 'UPS', tracking_number: '1Z1' }, { idempotencyKey: 'ship-S-1' });
    // MSI deducted the source again and put a +1 reservation against it: salable unchanged
    expect(sim.state.salable(a, 1)).toBe(17);
    expect(qty(sim, a)).toBe(16);
    await adapter.writes!.cancelOrder!({ order_external_id: String(o.entity_id) }, { idempotencyKey: 'cancel-S-1' });
    // what was not shipped comes back: 20 less the one shipped
    expect(sim.state.salable(a, 1)).toBe(19);
    expect(sim.state.salable(b, 1)).toBe(9);
  });

  test("order_stock 'none' leaves stock alone and writes no note", async () => {
    const { sim, adapter, a, b } = await setup({}, { order_stock: 'none' });
    const w = { idempotencyKey: 'import-order:N-1' };
    const res = await adapter.writes!.createOrder!(order('N-1', a, b), w);
    expect(res.data).not.toHaveProperty('stock');
    expect([qty(sim, a), qty(sim, b)]).toEqual([20, 9]);
    expect(notes(sim, res.external_id, w.idempotencyKey)).toEqual([]);
    expect(sim.requests.some((r) => r.path.includes('/V1/inventory/'))).toBe(false);
  });

  test('a SKU without a default source item is left alone and named', async () => {
    const { sim, adapter, a, b } = await setup();
    sim.state.sourceItems.delete(`${b.toLowerCase()}\u0000default`);
    const res = await adapter.writes!.createOrder!(order('M-1', a, b), { idempotencyKey: 'import-order:M-1' });
    expect(res.data).toMatchObject({ stock: 'deducted', stock_skipped: [{ sku: b, reason: 'no "default" source item' }] });
    expect(qty(sim, a)).toBe(17);
  });
});

describe('legacy stock (no MSI)', () => {
  test('the stock item is lowered once, also when the first write\'s answer is lost', async () => {
    const { sim, adapter, a, b } = await setup({ msi: false });
    const w = { idempotencyKey: 'import-order:L-1' };
    sim.faults.loseAnswerNext(1, 'PUT /V1/products/');
    expect((await failure(adapter.writes!.createOrder!(order('L-1', a, b), w))).kind).toBe('upstream_unavailable');
    expect([sim.state.legacyQty(a), sim.state.legacyQty(b)]).toEqual([17, 9]);
    const retry = await adapter.writes!.createOrder!(order('L-1', a, b), w);
    expect(retry.data).toMatchObject({ stock: 'resumed' });
    expect([sim.state.legacyQty(a), sim.state.legacyQty(b)]).toEqual([17, 8]);
    await adapter.writes!.createOrder!(order('L-1', a, b), w);
    expect(sim.requests.filter((r) => r.method === 'PUT' && r.template === '/V1/products/{productSku}/stockItems/{itemId}').map((r) => r.status)).toEqual([0, 200]);
    // without MSI a shipment touches no stock
    const o = sim.state.ordersById.get(Number(retry.external_id))!;
    await adapter.writes!.createShipment!({ order_external_id: String(o.entity_id), lines: [{ sku: b, quantity: 1 }] }, { idempotencyKey: 'ship-L-1' });
    expect(sim.state.legacyQty(b)).toBe(8);
  });
});

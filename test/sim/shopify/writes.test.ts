// The Shopify simulator's write side: inventorySetQuantities (compare-and-set, @idempotent replay and mismatch),
// productVariantsBulkUpdate and productUpdate, fulfillmentCreate on fulfillment orders, orderCancel as a job,
// orderCreate with exact money and stock, bulk operations with JSONL results, HMAC-signed webhooks (some twice),
// and the faults (5xx, a lost answer after the write, malformed JSON).
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { data, gql } from './client.ts';
import { startShopifySim, type ShopifySim } from './index.ts';
import type { InventoryItem } from './state.ts';

let sim: ShopifySim;
let hook: Server;
let hookUrl: string;
const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];

beforeAll(async () => {
  sim = await startShopifySim({ seed: { products: 6, orders: 8 }, jobDelayMs: 50, bulkDelayMs: 20, maxConcurrentBulk: 1, duplicateWebhookEvery: 2 });
  hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hooks`;
});
afterAll(async () => {
  await sim.stop();
  await new Promise<void>((r) => hook.close(() => r()));
});

const SET = `mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id reason changes { name delta quantityAfterChange } }
    userErrors { code field message }
  }
}`;
const gidOf = (type: string, id: number) => `gid://shopify/${type}/${id}`;
function firstItem(): { item: InventoryItem; location: number } {
  const item = [...sim.state.inventoryItems.values()][0];
  return { item, location: [...sim.state.locations.keys()][0] };
}
const setInput = (item: InventoryItem, location: number, quantity: number, changeFromQuantity: number | null) => ({
  name: 'available',
  reason: 'correction',
  referenceDocumentUri: 'gid://switchyard/Operation/1',
  quantities: [{ inventoryItemId: gidOf('InventoryItem', item.id), locationId: gidOf('Location', location), quantity, changeFromQuantity }],
});

describe('inventorySetQuantities', () => {
  it('requires the @idempotent key (2026-04 and later)', async () => {
    const { item, location } = firstItem();
    const { body } = await gql(sim, 'mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code } } }', { input: setInput(item, location, 5, null) });
    expect(body.errors?.[0].message).toBe('The @idempotent directive is required for this mutation.');
  });

  it('sets when changeFromQuantity matches, refuses a stale one and changes nothing', async () => {
    const { item, location } = firstItem();
    const q = item.levels.get(location)!.quantities;
    const before = q.available;
    const ok = await data(sim, SET, { input: setInput(item, location, before + 7, before), key: 'k-set-1' });
    expect(ok.inventorySetQuantities.userErrors).toEqual([]);
    expect(ok.inventorySetQuantities.inventoryAdjustmentGroup.changes).toEqual([{ name: 'available', delta: 7, quantityAfterChange: before + 7 }]);
    expect(q.available).toBe(before + 7);
    expect(q.on_hand).toBeGreaterThanOrEqual(q.available);
    const stale = await data(sim, SET, { input: setInput(item, location, 1, before), key: 'k-set-2' });
    expect(stale.inventorySetQuantities).toEqual({ inventoryAdjustmentGroup: null, userErrors: [{ code: 'CHANGE_FROM_QUANTITY_STALE', field: ['input', 'quantities', '0', 'changeFromQuantity'], message: 'The specified compare quantity is stale.' }] });
    expect(q.available).toBe(before + 7);
  });

  it('replays the first answer for the same key and input, refuses the key with other input', async () => {
    const { item, location } = firstItem();
    const q = item.levels.get(location)!.quantities;
    const start = q.available;
    const input = setInput(item, location, start + 1, start);
    const first = await data(sim, SET, { input, key: 'k-replay' });
    sim.state.setQuantity(item, location, 'available', 40); // someone else moves it meanwhile
    const again = await data(sim, SET, { input, key: 'k-replay' });
    expect(again).toEqual(first);
    expect(q.available).toBe(40); // the replay changed nothing
    expect(sim.replays).toContain('k-replay');
    const other = await data(sim, SET, { input: setInput(item, location, 3, 40), key: 'k-replay' });
    expect(other.inventorySetQuantities.userErrors).toEqual([{ code: 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH', field: null, message: 'The same idempotency key cannot be used with different operation parameters.' }]);
    expect(q.available).toBe(40);
  });

  it('asks for changeFromQuantity explicitly (null skips the check) and names unknown items', async () => {
    const { item, location } = firstItem();
    const input = setInput(item, location, 2, null);
    const { changeFromQuantity: _drop, ...withoutCompare } = input.quantities[0];
    const missing = await data(sim, SET, { input: { ...input, quantities: [withoutCompare] }, key: 'k-missing' });
    expect(missing.inventorySetQuantities.userErrors[0].field).toEqual(['input', 'quantities', '0', 'changeFromQuantity']);
    const blind = await data(sim, SET, { input, key: 'k-null' });
    expect(blind.inventorySetQuantities.userErrors).toEqual([]);
    expect(item.levels.get(location)!.quantities.available).toBe(2);
    const unknown = await data(sim, SET, { input: { ...input, quantities: [{ ...input.quantities[0], inventoryItemId: 'gid://shopify/InventoryItem/1' }] }, key: 'k-unknown' });
    expect(unknown.inventorySetQuantities.userErrors[0].code).toBe('INVALID_INVENTORY_ITEM');
  });
});

describe('catalog writes', () => {
  it('updates variant prices as exact decimals and refuses bad rows with codes', async () => {
    const p = [...sim.state.products.values()].find((x) => x.variantIds.length > 1) ?? [...sim.state.products.values()][0];
    const vid = p.variantIds[0];
    const M = 'mutation($p: ID!, $v: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $p, variants: $v) { productVariants { id price compareAtPrice } userErrors { code field message } } }';
    const ok = await data(sim, M, { p: gidOf('Product', p.id), v: [{ id: gidOf('ProductVariant', vid), price: '12.5', compareAtPrice: '15.00' }] });
    expect(ok.productVariantsBulkUpdate).toEqual({ productVariants: [{ id: gidOf('ProductVariant', vid), price: '12.50', compareAtPrice: '15.00' }], userErrors: [] });
    const neg = await data(sim, M, { p: gidOf('Product', p.id), v: [{ id: gidOf('ProductVariant', vid), price: '-1.00' }] });
    expect(neg.productVariantsBulkUpdate.userErrors[0].code).toBe('NEGATIVE_PRICE_VALUE');
    const foreign = await data(sim, M, { p: gidOf('Product', p.id), v: [{ id: gidOf('ProductVariant', 1), price: '1.00' }] });
    expect(foreign.productVariantsBulkUpdate.userErrors[0]).toMatchObject({ code: 'PRODUCT_VARIANT_DOES_NOT_EXIST', field: ['variants', '0', 'id'] });
    expect(sim.state.variants.get(vid)!.price).toBe(1250);
  });

  it('updates product fields and refuses a blank title', async () => {
    const p = [...sim.state.products.values()][1];
    const M = 'mutation($i: ProductUpdateInput!) { productUpdate(product: $i) { product { title vendor } userErrors { field message } } }';
    expect((await data(sim, M, { i: { id: gidOf('Product', p.id), title: 'New title', vendor: 'Acme' } })).productUpdate).toEqual({ product: { title: 'New title', vendor: 'Acme' }, userErrors: [] });
    expect((await data(sim, M, { i: { id: gidOf('Product', p.id), title: ' ' } })).productUpdate.userErrors).toEqual([{ field: ['title'], message: "Title can't be blank" }]);
    expect((await data(sim, M, { i: { id: 'gid://shopify/Product/1', title: 'x' } })).productUpdate.userErrors).toEqual([{ field: ['id'], message: 'Product does not exist' }]);
  });
});

describe('orders', () => {
  const CREATE = 'mutation($o: OrderCreateOrderInput!, $opt: OrderCreateOptionsInput) { orderCreate(order: $o, options: $opt) { order { id name sourceIdentifier totalPriceSet { shopMoney { amount } } totalTaxSet { shopMoney { amount } } fulfillmentOrders(first: 5) { nodes { id status lineItems(first: 10) { nodes { id remainingQuantity totalQuantity } } } } } userErrors { code field message } } }';

  it('creates an order with the source\'s prices, taxes and shipping exact, and decrements stock when asked', async () => {
    const v = [...sim.state.variants.values()][2];
    const item = sim.state.inventoryItems.get(v.inventoryItemId)!;
    const loc = [...sim.state.locations.keys()][0];
    sim.state.setQuantity(item, loc, 'available', 10);
    const usd = (amount: string) => ({ shopMoney: { amount, currencyCode: 'USD' } });
    const d = await data(sim, CREATE, {
      o: {
        currency: 'USD',
        sourceIdentifier: 'amazon:111-2222222-3333333',
        email: 'buyer@example.com',
        lineItems: [{ variantId: gidOf('ProductVariant', v.id), quantity: 3, priceSet: usd('9.99'), taxLines: [{ title: 'Sales tax', rate: '0.0825', priceSet: usd('2.47') }] }],
        shippingLines: [{ title: 'Standard', priceSet: usd('4.95'), taxLines: [{ title: 'Sales tax', rate: '0.0825', priceSet: usd('0.41') }] }],
      },
      opt: { inventoryBehaviour: 'DECREMENT_OBEYING_POLICY' },
    });
    const o = d.orderCreate.order;
    expect(d.orderCreate.userErrors).toEqual([]);
    expect(o.sourceIdentifier).toBe('amazon:111-2222222-3333333');
    expect(o.totalTaxSet.shopMoney.amount).toBe('2.88');
    expect(o.totalPriceSet.shopMoney.amount).toBe('37.80'); // 29.97 + 4.95 + 2.88
    expect(item.levels.get(loc)!.quantities.available).toBe(7);
    expect(o.fulfillmentOrders.nodes[0].lineItems.nodes[0]).toMatchObject({ remainingQuantity: 3, totalQuantity: 3 });
    const short = await data(sim, CREATE, { o: { lineItems: [{ variantId: gidOf('ProductVariant', v.id), quantity: 50 }] }, opt: { inventoryBehaviour: 'DECREMENT_OBEYING_POLICY' } });
    expect(short.orderCreate.userErrors[0].code).toBe('INVENTORY_CLAIM_FAILED');
  });

  it('fulfils part of a fulfillment order, then the rest, and refuses more than remains', async () => {
    const v = [...sim.state.variants.values()][1];
    const order = sim.state.addOrder({ lines: [{ variantId: v.id, quantity: 3, unitPrice: v.price }] });
    const fo = sim.state.fulfillmentOrders.get(order.fulfillmentOrderIds[0])!;
    const line = gidOf('FulfillmentOrderLineItem', fo.lines[0].id);
    const F = 'mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { fulfillment { id status trackingInfo { company number } fulfillmentLineItems(first: 5) { nodes { quantity } } } userErrors { field message } } }';
    const part = await data(sim, F, { f: { lineItemsByFulfillmentOrder: [{ fulfillmentOrderId: gidOf('FulfillmentOrder', fo.id), fulfillmentOrderLineItems: [{ id: line, quantity: 2 }] }], trackingInfo: { company: 'DHL', number: 'TRACK-1' } } });
    expect(part.fulfillmentCreate.userErrors).toEqual([]);
    expect(part.fulfillmentCreate.fulfillment).toMatchObject({ status: 'SUCCESS', trackingInfo: [{ company: 'DHL', number: 'TRACK-1' }], fulfillmentLineItems: { nodes: [{ quantity: 2 }] } });
    expect(fo).toMatchObject({ status: 'IN_PROGRESS', lines: [{ remainingQuantity: 1 }] });
    const tooMany = await data(sim, F, { f: { lineItemsByFulfillmentOrder: [{ fulfillmentOrderId: gidOf('FulfillmentOrder', fo.id), fulfillmentOrderLineItems: [{ id: line, quantity: 2 }] }] } });
    expect(tooMany.fulfillmentCreate.userErrors).toEqual([{ field: ['fulfillment'], message: 'Invalid fulfillment order line item quantity requested.' }]);
    const rest = await data(sim, F, { f: { lineItemsByFulfillmentOrder: [{ fulfillmentOrderId: gidOf('FulfillmentOrder', fo.id) }] } });
    expect(rest.fulfillmentCreate.userErrors).toEqual([]);
    expect(fo.status).toBe('CLOSED');
    const d = await data(sim, `{ order(id: "${gidOf('Order', order.id)}") { displayFulfillmentStatus fulfillments { trackingInfo { number } } } }`);
    expect(d.order).toEqual({ displayFulfillmentStatus: 'FULFILLED', fulfillments: [{ trackingInfo: [{ number: 'TRACK-1' }] }, { trackingInfo: [{ number: null }] }] });
  });

  it('cancels as an asynchronous job and refuses a second cancel', async () => {
    const order = sim.state.addOrder({ lines: [{ sku: 'C-1', title: 'Cancel me', quantity: 1, unitPrice: 500 }] });
    const C = `mutation { orderCancel(orderId: "${gidOf('Order', order.id)}", reason: CUSTOMER, restock: true, refund: true) { job { id done } orderCancelUserErrors { code field message } } }`;
    const first = await data(sim, C);
    expect(first.orderCancel.job.done).toBe(false);
    expect(order.cancelledAt).toBeNull(); // not yet: the job runs
    const second = await data(sim, C);
    expect(second.orderCancel.orderCancelUserErrors[0].code).toBe('INVALID');
    await sim.settle();
    expect(order.cancelledAt).not.toBeNull();
    const job = await data(sim, `{ job(id: "${first.orderCancel.job.id}") { done } order(id: "${gidOf('Order', order.id)}") { cancelReason cancelledAt } }`);
    expect(job.job.done).toBe(true);
    expect(job.order.cancelReason).toBe('CUSTOMER');
    expect((await data(sim, C)).orderCancel.orderCancelUserErrors[0]).toMatchObject({ code: 'INVALID', message: 'Order has already been cancelled' });
  });
});

describe('bulk operations', () => {
  it('runs a bulk query to JSONL with __parentId, one at a time per app', async () => {
    const RUN = 'mutation($q: String!) { bulkOperationRunQuery(query: $q, groupObjects: false) { bulkOperation { id status } userErrors { code field message } } }';
    const q = '{ products { edges { node { id title variants { edges { node { id sku } } } } } } }';
    const started = await data(sim, RUN, { q });
    expect(started.bulkOperationRunQuery.userErrors).toEqual([]);
    const busy = await data(sim, RUN, { q });
    expect(busy.bulkOperationRunQuery.userErrors[0].code).toBe('OPERATION_IN_PROGRESS');
    await sim.settle();
    const op = await data(sim, `{ currentBulkOperation { id status objectCount rootObjectCount url } }`);
    expect(op.currentBulkOperation).toMatchObject({ id: started.bulkOperationRunQuery.bulkOperation.id, status: 'COMPLETED' });
    const text = await (await fetch(op.currentBulkOperation.url)).text();
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { id: string; __parentId?: string; sku?: string });
    expect(lines.filter((l) => !l.__parentId)).toHaveLength(sim.state.products.size);
    expect(lines.filter((l) => l.__parentId)).toHaveLength(sim.state.variants.size);
    for (const v of sim.state.variants.values()) {
      expect(lines.find((l) => l.id === gidOf('ProductVariant', v.id))).toEqual({ id: gidOf('ProductVariant', v.id), sku: v.sku, __parentId: gidOf('Product', v.productId) });
    }
    expect(op.currentBulkOperation.objectCount).toBe(String(lines.length));
    const bad = await data(sim, RUN, { q: '{ shop { name } }' });
    expect(bad.bulkOperationRunQuery.userErrors[0]).toMatchObject({ code: 'INVALID', message: 'Bulk queries must contain at least one connection.' });
  });
});

describe('webhooks', () => {
  it('delivers HMAC-signed notifications, some twice with the same event id', async () => {
    const S = 'mutation($t: WebhookSubscriptionTopic!, $u: String!) { webhookSubscriptionCreate(topic: $t, webhookSubscription: { uri: $u, format: JSON }) { webhookSubscription { id topic uri } userErrors { field message } } }';
    const sub = await data(sim, S, { t: 'PRODUCTS_UPDATE', u: hookUrl });
    expect(sub.webhookSubscriptionCreate.userErrors).toEqual([]);
    expect((await data(sim, S, { t: 'PRODUCTS_UPDATE', u: hookUrl })).webhookSubscriptionCreate.userErrors[0].message).toBe('Address for this topic has already been taken');
    received.length = 0;
    const products = [...sim.state.products.values()];
    for (const p of products.slice(0, 2)) await data(sim, 'mutation($i: ProductUpdateInput!) { productUpdate(product: $i) { userErrors { message } } }', { i: { id: gidOf('Product', p.id), tags: ['hooked'] } });
    await sim.settle();
    expect(received.length).toBe(3); // the second delivery is sent twice
    for (const r of received) {
      const mac = createHmac('sha256', sim.app.clientSecret).update(r.body, 'utf8').digest('base64');
      expect(r.headers['x-shopify-hmac-sha256']).toBe(mac);
      expect(r.headers['x-shopify-topic']).toBe('products/update');
      expect(r.headers['x-shopify-shop-domain']).toBe(sim.shopDomain);
    }
    const ids = received.map((r) => r.headers['x-shopify-event-id']);
    expect(new Set(ids).size).toBe(2);
    expect(JSON.parse(received[0].body)).toMatchObject({ admin_graphql_api_id: gidOf('Product', products[0].id) });
  });
});

describe('faults', () => {
  it('answers a 5xx, loses an answer after the write took effect, and sends malformed JSON', async () => {
    sim.faults.failNext(503, 1, '/graphql.json');
    const r = await fetch(sim.graphqlUrl, { method: 'POST', headers: { 'x-shopify-access-token': sim.accessToken, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ shop { name } }' }) });
    expect(r.status).toBe(503);
    const p = [...sim.state.products.values()][2];
    sim.faults.loseAnswerNext(1);
    await expect(gql(sim, 'mutation($i: ProductUpdateInput!) { productUpdate(product: $i) { userErrors { message } } }', { i: { id: gidOf('Product', p.id), title: 'Lost answer' } })).rejects.toThrow();
    expect(p.title).toBe('Lost answer');
    sim.faults.malformedNext(1);
    const m = await fetch(sim.graphqlUrl, { method: 'POST', headers: { 'x-shopify-access-token': sim.accessToken, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ shop { name } }' }) });
    expect(m.status).toBe(200);
    await expect(m.json()).rejects.toThrow();
    expect(sim.faults.fired).toEqual(['5xx', 'lose', 'malformed']);
  });
});

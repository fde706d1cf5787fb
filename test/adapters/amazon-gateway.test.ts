// An Amazon seller account through the gateway: connected over POST /v1/connections against the SP-API
// simulator, pulled by the sync engine, its orders, listings and stock read back through REST and
// GraphQL; ORDER_CHANGE notifications taken once; wrong credentials refused at creation.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { amazonAdapter } from '../../src/adapters/amazon/index.ts';
import { clearTokenCache } from '../../src/adapters/amazon/lwa.ts';
import { startAmazonSim, type AmazonSim } from '../sim/amazon/index.ts';
import { startGateway, type TestGateway } from '../support/app.ts';
import { json, listAll, waitFor, waitForPulls } from '../support/sync-harness.ts';

describe('an Amazon connection through the gateway', () => {
  let sim: AmazonSim;
  let gw: TestGateway;
  let id: string;
  let since: Date;
  const settings = () => ({ region: 'na', seller_id: sim.sellerId, marketplace_ids: sim.marketplaceIds, endpoint: sim.url, lwa_endpoint: sim.lwaUrl });

  beforeAll(async () => {
    clearTokenCache();
    sim = await startAmazonSim({ seed: { listings: 40, orders: 120, fbaInventory: 4, seed: 11 }, rateLimits: false });
    gw = await startGateway({ adapters: [amazonAdapter] });
    gw.tdb.pool.on('error', () => undefined);
    gw.tdb.pool.on('connect', (client) => void client.on('error', () => undefined));
    since = new Date(Date.now() - 1);
    const res = await gw.call('/v1/connections', { method: 'POST', body: JSON.stringify({ channel: 'amazon', name: 'Amazon US', settings: settings(), credentials: sim.credentials }) });
    expect(res.status, await res.clone().text()).toBe(201);
    id = ((await res.json()) as { id: string }).id;
    await gw.engine.startWorkers(2);
    await waitForPulls(gw, id, since, ['orders', 'products', 'inventory'], 40_000);
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await sim?.stop();
  });

  test('wrong credentials are refused at creation with a clear error', async () => {
    const res = await gw.call('/v1/connections', {
      method: 'POST',
      body: JSON.stringify({ channel: 'amazon', name: 'Bad', settings: settings(), credentials: { ...sim.credentials, refresh_token: 'Atzr|not-a-real-token' } }),
    });
    expect(res.status).toBe(422);
    const problem = await json(res);
    expect(problem.detail).toMatch(/invalid_grant/);
    expect(problem.detail).not.toContain(sim.credentials.client_secret);
  });

  test('orders are found through REST with the values Amazon has, FBA ones marketplace-fulfilled', async () => {
    const orders = await listAll(gw, `/v1/orders?connection_id=${id}`);
    const expected = [...sim.state.orders.values()].filter((o) => o.lastUpdatedTime <= Date.now() - 120_000);
    expect(orders.length).toBe(expected.length);
    const mfn = expected.find((o) => o.fulfilledBy === 'MERCHANT' && o.status === 'UNSHIPPED')!;
    const got = orders.find((o) => o.external_id === mfn.orderId);
    expect(got.status).toBe('processing');
    expect(got.fulfillment_channel).toBe('merchant');
    expect(got.lines.map((l: { sku: string }) => l.sku).sort()).toEqual(mfn.items.map((i) => i.sku).sort());
    expect(got.lines[0].quantity).toBe(mfn.items.find((i) => i.sku === got.lines[0].sku)!.quantityOrdered);
    const afn = expected.find((o) => o.fulfilledBy === 'AMAZON')!;
    expect(orders.find((o) => o.external_id === afn.orderId).fulfillment_channel).toBe('marketplace');
    const pending = expected.find((o) => o.status === 'PENDING');
    if (pending) {
      const p = orders.find((o) => o.external_id === pending.orderId);
      expect(p.status).toBe('pending');
      expect(p.shipping_address ?? null).toBeNull();
    }
  });

  test('listings and stock are found through REST and GraphQL', async () => {
    const products = await listAll(gw, `/v1/products?connection_id=${id}`);
    expect(products.length).toBe(sim.state.listings.size);
    const l = sim.state.listings.get('SIM-000003')!;
    const p = products.find((x) => x.external_id === 'SIM-000003');
    expect(p.identifiers.asin).toBe(l.asin);
    expect(p.prices[0].price.amount).toBe(sim.state.priceOf('SIM-000003')!.toFixed(2));
    const sku = [...sim.state.listings.values()].find((x) => sim.state.quantityOf(x.sku) !== null && !sim.state.fbaInventory.has(x.sku))!.sku;
    const levels = await listAll(gw, `/v1/inventory?connection_id=${id}&sku=${sku}`);
    expect(levels.map((x) => [x.location_id, x.on_hand])).toEqual([['DEFAULT', sim.state.quantityOf(sku)]]);

    const fbaSku = [...sim.state.fbaInventory.keys()][0]!;
    const q = `{ inventory(filter: { connection_id: "${id}", sku: "${fbaSku}", fulfillment_channel: marketplace }) { nodes { sku location_id fulfillment_channel available } }
      orders(first: 250, filter: { connection_id: "${id}", fulfillment_channel: marketplace }) { nodes { external_id fulfillment_channel shipping_address { line1 } } } }`;
    const res = await gw.call('/graphql', { method: 'POST', body: JSON.stringify({ query: q }) });
    const body = await json(res);
    expect(body.errors).toBeUndefined();
    expect(body.data.inventory.nodes).toEqual([{ sku: fbaSku, location_id: 'AMAZON_NA', fulfillment_channel: 'marketplace', available: sim.state.fbaInventory.get(fbaSku)!.fulfillable }]);
    const afnIds = [...sim.state.orders.values()].filter((o) => o.fulfilledBy === 'AMAZON' && o.lastUpdatedTime <= Date.now() - 120_000).map((o) => o.orderId).sort();
    expect(body.data.orders.nodes.map((o: { external_id: string }) => o.external_id).sort()).toEqual(afnIds);
  });

  test('an ORDER_CHANGE notification is taken once and brings the changed order in', async () => {
    const order = sim.state.placeOrder({ status: 'UNSHIPPED', items: [{ sku: 'SIM-000005', quantity: 2, unitPrice: '31.00' }] });
    const notification = sim.state.notifications.at(-1)!;
    expect(notification.Payload.OrderChangeNotification.AmazonOrderId).toBe(order.orderId);
    const post = () => gw.call(`/v1/connections/${id}/notifications`, { method: 'POST', body: JSON.stringify({ MessageId: 'm-1', Body: JSON.stringify(notification) }) });
    const first = await json(post());
    expect(first).toMatchObject({ status: 'queued', fetch: [{ entity: 'orders', external_id: order.orderId }] });
    const again = await json(post());
    expect(again.status).toBe('duplicate');
    const stored = await waitFor('the notified order stored', async () => {
      const all = await listAll(gw, `/v1/orders?connection_id=${id}`);
      return all.find((o: { external_id: string }) => o.external_id === order.orderId);
    });
    expect(stored.lines[0].unit_price.amount).toBe('31.00');
    const getOrders = sim.requests.filter((r) => r.operation === 'getOrder').length;
    expect(getOrders).toBe(1);
    const ignored = await json(gw.call(`/v1/connections/${id}/notifications`, { method: 'POST', body: JSON.stringify({ NotificationType: 'ANY_OFFER_CHANGED', NotificationMetadata: { NotificationId: 'x' }, Payload: {} }) }));
    expect(ignored.status).toBe('ignored');
  });
});

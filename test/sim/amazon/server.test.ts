// The SP-API simulator's core behaviour, as the Amazon adapter relies on it: LWA grants and their
// failures, x-amz-access-token checks, Orders 2026-01-01 search windows and pagination tokens, Pending
// and FBA orders, v0 confirmShipment with its refusals, listings writes validated against product types,
// per-operation token buckets and the fault switches. Every response is also checked against the models
// (sim.violations) and every ORDER_CHANGE payload against its schema.
import { afterEach, describe, expect, test } from 'vitest';
import { startAmazonSim, type AmazonSim, type AmazonSimOptions, type SimOrder } from './index.ts';
import { grantlessToken, lwa, qs, sellerToken, sp } from './helpers.ts';

let sims: AmazonSim[] = [];
const T0 = Date.parse('2026-06-01T12:00:00Z');

async function start(options: AmazonSimOptions = {}): Promise<AmazonSim> {
  const sim = await startAmazonSim({ rateLimits: false, ...options });
  sims.push(sim);
  return sim;
}

afterEach(async () => {
  for (const s of sims) expect(s.violations).toEqual([]);
  await Promise.all(sims.map((s) => s.stop()));
  sims = [];
});

type Orders = { orders: { orderId: string; lastUpdatedTime: string; [k: string]: unknown }[]; pagination?: { nextToken: string }; lastUpdatedBefore?: string };

describe('Login with Amazon', () => {
  test('refresh_token, client_credentials and authorization_code grants; tokens last 3600 s scaled by timeScale', async () => {
    let now = T0;
    const sim = await start({ clock: () => now, timeScale: 60 });
    const { client_id, client_secret, refresh_token } = sim.credentials;
    const r = await lwa(sim, { grant_type: 'refresh_token', refresh_token, client_id, client_secret });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: 'bearer', expires_in: 60, refresh_token }); // 3600 s / timeScale 60
    expect(String(r.body.access_token)).toMatch(/^Atza\|/);
    const g = await lwa(sim, { grant_type: 'client_credentials', scope: 'sellingpartnerapi::notifications', client_id, client_secret });
    expect(g.status).toBe(200);
    expect(g.body.refresh_token).toBeUndefined();
    const a = await lwa(sim, { grant_type: 'authorization_code', code: sim.authorizationCode, redirect_uri: 'https://example.com/cb', client_id, client_secret });
    expect(a.status).toBe(200);
    expect(a.body.refresh_token).toBe(refresh_token);

    const token = String(r.body.access_token);
    expect((await sp(sim, token, 'GET', '/sellers/v1/marketplaceParticipations')).status).toBe(200);
    now += 3_600_000 / 60 + 1; // one simulated hour
    const expired = await sp<{ errors: { code: string; details: string }[] }>(sim, token, 'GET', '/sellers/v1/marketplaceParticipations');
    expect(expired.status).toBe(403);
    expect(expired.body.errors[0]).toMatchObject({ code: 'Unauthorized', message: 'Access to requested resource is denied.' });
    expect(expired.body.errors[0]?.details).toMatch(/expired/);
  });

  test('wrong or expired client secret answers invalid_client; a revoked refresh token invalid_grant; missing scope invalid_request', async () => {
    const sim = await start();
    const { client_id, client_secret, refresh_token } = sim.credentials;
    const wrong = await lwa(sim, { grant_type: 'refresh_token', refresh_token, client_id, client_secret: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
    sim.faults.expireClientSecret(true);
    const expired = await lwa(sim, { grant_type: 'refresh_token', refresh_token, client_id, client_secret });
    expect(expired.status).toBe(401);
    expect(expired.body.error).toBe('invalid_client');
    sim.faults.expireClientSecret(false);
    sim.faults.revokeRefreshToken();
    const revoked = await lwa(sim, { grant_type: 'refresh_token', refresh_token, client_id, client_secret });
    expect(revoked.status).toBe(400);
    expect(revoked.body.error).toBe('invalid_grant');
    const noScope = await lwa(sim, { grant_type: 'client_credentials', client_id, client_secret });
    expect(noScope.body.error).toBe('invalid_request');
    expect(sim.tokensIssued()).toBe(0);
  });
});

describe('Login with Amazon faults', () => {
  test('faults reach the token endpoint only when a rule names lwaToken', async () => {
    const sim = await start();
    const { client_id, client_secret, refresh_token } = sim.credentials;
    const form = { grant_type: 'refresh_token', refresh_token, client_id, client_secret };
    sim.faults.failNext(503, 1);
    expect((await lwa(sim, form)).status).toBe(200);
    sim.faults.clear();
    sim.faults.failNext(500, 1, 'lwaToken');
    const failed = await lwa(sim, form);
    expect(failed.status).toBe(500);
    expect(failed.body.error).toBe('server_error');
    sim.faults.storm429(1, 'lwaToken');
    expect((await lwa(sim, form)).status).toBe(429);
    expect((await lwa(sim, form)).status).toBe(200);
    expect(sim.requests.filter((r) => r.operation === 'lwaToken').map((r) => r.status)).toEqual([200, 500, 429, 200]);
    expect(sim.tokensIssued()).toBe(2);
  });
});

describe('access tokens', () => {
  test('missing, unknown, expired and wrong-kind tokens are refused with 403 and the x-amzn-RequestId header', async () => {
    const sim = await start();
    const missing = await sp<{ errors: { code: string }[] }>(sim, null, 'GET', '/sellers/v1/marketplaceParticipations');
    expect(missing.status).toBe(403);
    expect(missing.body.errors[0]?.code).toBe('MissingAuthenticationToken');
    expect(missing.headers.get('x-amzn-requestid')).toBeTruthy();
    const bogus = await sp<{ errors: { code: string; details: string }[] }>(sim, 'Atza|bogus', 'GET', '/sellers/v1/marketplaceParticipations');
    expect(bogus.status).toBe(403);
    expect(bogus.body.errors[0]?.code).toBe('Unauthorized');
    const token = await sellerToken(sim);
    sim.faults.expireTokens();
    const expired = await sp<{ errors: { details: string }[] }>(sim, token, 'GET', '/sellers/v1/marketplaceParticipations');
    expect(expired.status).toBe(403);
    expect(expired.body.errors[0]?.details).toMatch(/expired/);
    const fresh = await sellerToken(sim);
    expect((await sp(sim, fresh, 'GET', '/sellers/v1/marketplaceParticipations')).status).toBe(200);
    const grantless = await grantlessToken(sim);
    expect((await sp(sim, grantless, 'GET', '/sellers/v1/marketplaceParticipations')).status).toBe(403);
    expect((await sp(sim, fresh, 'GET', '/notifications/v1/destinations')).status).toBe(403);
    expect((await sp(sim, grantless, 'GET', '/notifications/v1/destinations')).status).toBe(200);
    const rotation = await grantlessToken(sim, 'sellingpartnerapi::client_credential:rotation');
    expect((await sp(sim, rotation, 'GET', '/notifications/v1/destinations')).status).toBe(403);
  });

  test('getMarketplaceParticipations lists the seller marketplaces in a {payload} envelope', async () => {
    const sim = await start({ marketplaceIds: ['A1PA6795UKMFR9', 'A1F83G8C2ARO7P'] });
    const r = await sp<{ payload: { marketplace: { id: string; defaultCurrencyCode: string } }[] }>(sim, await sellerToken(sim), 'GET', '/sellers/v1/marketplaceParticipations');
    expect(r.status).toBe(200);
    expect(r.body.payload.map((p) => [p.marketplace.id, p.marketplace.defaultCurrencyCode])).toEqual([
      ['A1PA6795UKMFR9', 'EUR'],
      ['A1F83G8C2ARO7P', 'GBP'],
    ]);
  });
});

describe('orders 2026-01-01', () => {
  test('seeding is deterministic and quick at 10,000 orders with the documented mix', async () => {
    const t = performance.now();
    const a = await start({ seed: { orders: 10_000, listings: 200, seed: 7 }, clock: () => T0 });
    const elapsed = performance.now() - t;
    const b = await start({ seed: { orders: 10_000, listings: 200, seed: 7 }, clock: () => T0 });
    expect([...a.state.orders.keys()]).toEqual([...b.state.orders.keys()]);
    expect(JSON.stringify([...a.state.orders.values()].slice(0, 50))).toBe(JSON.stringify([...b.state.orders.values()].slice(0, 50)));
    expect(elapsed).toBeLessThan(5_000);
    const orders = [...a.state.orders.values()];
    const share = (f: (o: SimOrder) => boolean) => orders.filter(f).length / orders.length;
    expect(share((o) => o.fulfilledBy === 'AMAZON')).toBeGreaterThan(0.1);
    expect(share((o) => o.status === 'PENDING')).toBeGreaterThan(0.07);
    expect(share((o) => o.status === 'CANCELLED')).toBeGreaterThan(0.02);
    expect(share((o) => o.status === 'PARTIALLY_SHIPPED')).toBeGreaterThan(0.02);
    expect(new Set(orders.map((o) => o.orderId)).size).toBe(10_000);
    // 90% of listings are merchant-fulfilled with a quantity (FBA listings and variation parents share the rest).
    expect([...a.state.listings.keys()].filter((sku) => a.state.quantityOf(sku) !== null)).toHaveLength(180);
    for (const o of orders) expect(o.orderId).toMatch(/^\d{3}-\d{7}-\d{7}$/);
  });

  test('lastUpdatedAfter pages with paginationToken yield every order of the window once, oldest update first', async () => {
    const sim = await start({ seed: { orders: 730, listings: 20 }, clock: () => T0 });
    const token = await sellerToken(sim);
    const seen: string[] = [];
    let next: string | undefined;
    let pages = 0;
    let upper: string | undefined;
    do {
      const r = await sp<Orders>(sim, token, 'GET', '/orders/2026-01-01/orders' + qs({ lastUpdatedAfter: '2026-01-01T00:00:00Z', marketplaceIds: ['ATVPDKIKX0DER'], maxResultsPerPage: 100, paginationToken: next }));
      expect(r.status).toBe(200);
      seen.push(...r.body.orders.map((o) => o.orderId));
      const times = r.body.orders.map((o) => Date.parse(o.lastUpdatedTime));
      expect([...times].sort((x, y) => x - y)).toEqual(times);
      upper ??= r.body.lastUpdatedBefore;
      expect(r.body.lastUpdatedBefore).toBe(upper);
      next = r.body.pagination?.nextToken;
      pages++;
    } while (next);
    expect(pages).toBe(8);
    expect(new Set(seen).size).toBe(730);
    expect(seen.length).toBe(730);
    // The default end of the window lags two minutes behind the request.
    expect(upper).toBe(new Date(T0 - 120_000).toISOString().replace('.000Z', 'Z'));
  });

  test('a paginationToken is refused with other filters, and after 24 (scaled) hours', async () => {
    let now = T0;
    const sim = await start({ seed: { orders: 30 }, clock: () => now, timeScale: 24 });
    const token = await sellerToken(sim);
    const first = await sp<Orders>(sim, token, 'GET', '/orders/2026-01-01/orders' + qs({ createdAfter: '2026-01-01T00:00:00Z', maxResultsPerPage: 10 }));
    const pt = first.body.pagination?.nextToken as string;
    expect(pt).toBeTruthy();
    const changed = await sp<{ errors: { code: string }[] }>(sim, token, 'GET', '/orders/2026-01-01/orders' + qs({ createdAfter: '2026-01-02T00:00:00Z', paginationToken: pt }));
    expect(changed.status).toBe(400);
    expect(changed.body.errors[0]?.code).toBe('InvalidInput');
    // maxResultsPerPage and includedData may change between pages.
    const ok = await sp<Orders>(sim, token, 'GET', '/orders/2026-01-01/orders' + qs({ createdAfter: '2026-01-01T00:00:00Z', paginationToken: pt, maxResultsPerPage: 5, includedData: ['BUYER'] }));
    expect(ok.status).toBe(200);
    expect(ok.body.orders).toHaveLength(5);
    // The two-minute visibility lag is scaled too: 5 s at timeScale 24.
    const lagged = await sp<Orders & { createdBefore?: string }>(sim, token, 'GET', '/orders/2026-01-01/orders' + qs({ createdAfter: '2026-01-01T00:00:00Z', maxResultsPerPage: 1 }));
    expect(lagged.body.createdBefore).toBe(new Date(T0 - 5_000).toISOString().replace('.000Z', 'Z'));
    expect((await sp(sim, token, 'GET', '/orders/2026-01-01/orders' + qs({ createdAfter: '2026-01-01T00:00:00Z', createdBefore: new Date(T0 - 4_000).toISOString() }))).status).toBe(400);
    now += 3_600_000 + 1; // 24 h / timeScale 24
    const late = await sp(sim, await sellerToken(sim), 'GET', '/orders/2026-01-01/orders' + qs({ createdAfter: '2026-01-01T00:00:00Z', paginationToken: pt }));
    expect(late.status).toBe(400);
    expect(late.text).toMatch(/expired/);
  });

  test('parameter rules: exactly one of createdAfter/lastUpdatedAfter, end at least two minutes old, enums and ranges', async () => {
    const sim = await start({ clock: () => T0 });
    const token = await sellerToken(sim);
    const call = (q: Parameters<typeof qs>[0]) => sp(sim, token, 'GET', '/orders/2026-01-01/orders' + qs(q));
    expect((await call({})).status).toBe(400);
    expect((await call({ createdAfter: '2026-01-01T00:00:00Z', lastUpdatedAfter: '2026-01-01T00:00:00Z' })).status).toBe(400);
    expect((await call({ lastUpdatedAfter: '2026-01-01T00:00:00Z', lastUpdatedBefore: new Date(T0 - 60_000).toISOString() })).status).toBe(400);
    expect((await call({ lastUpdatedAfter: '2026-01-01T00:00:00Z', fulfillmentStatuses: ['SHIPPED', 'BOGUS'] })).status).toBe(400);
    expect((await call({ lastUpdatedAfter: '2026-01-01T00:00:00Z', maxResultsPerPage: 101 })).status).toBe(400);
    expect((await call({ lastUpdatedAfter: 'yesterday' })).status).toBe(400);
    expect((await call({ lastUpdatedAfter: '2026-01-01T00:00:00Z', marketplaceIds: ['A1PA6795UKMFR9'] })).status).toBe(400);
    expect((await call({ lastUpdatedAfter: '2026-01-01T00:00:00Z', fulfillmentStatuses: ['SHIPPED'], fulfilledBy: ['AMAZON'] })).status).toBe(200);
  });

  test('Pending orders carry no prices, buyer or address; FBA orders have no or a partial address; includedData controls sections', async () => {
    let now = T0;
    const sim = await start({ seed: { listings: 5 }, clock: () => now });
    const token = await sellerToken(sim);
    const pending = sim.state.placeOrder({ status: 'PENDING', items: [{ sku: 'SIM-000001', quantity: 2 }] });
    const afn = sim.state.placeOrder({ fulfilledBy: 'AMAZON', status: 'SHIPPED', address: null });
    now += 3 * 60_000;
    const all = 'BUYER,RECIPIENT,PROCEEDS,FULFILLMENT,PACKAGES'.split(',');
    const p = await sp<{ order: Record<string, unknown> & { orderItems: { product: Record<string, unknown> }[] } }>(sim, token, 'GET', `/orders/2026-01-01/orders/${pending.orderId}` + qs({ includedData: all }));
    expect(p.status).toBe(200);
    expect(p.body.order.buyer).toBeUndefined();
    expect(p.body.order.recipient).toBeUndefined();
    expect(p.body.order.proceeds).toBeUndefined();
    expect(p.body.order.orderItems[0]?.product.price).toBeUndefined();
    expect(p.body.order.fulfillment).toMatchObject({ fulfillmentStatus: 'PENDING', fulfilledBy: 'MERCHANT' });
    // Payment clears: the same order now has its prices and address.
    sim.state.setOrderStatus(pending.orderId, 'UNSHIPPED');
    const u = await sp<{ order: Record<string, unknown> & { orderItems: { product: Record<string, unknown> }[] } }>(sim, token, 'GET', `/orders/2026-01-01/orders/${pending.orderId}` + qs({ includedData: all }));
    expect(u.body.order.recipient).toMatchObject({ deliveryAddress: { city: 'Seattle' } });
    expect(u.body.order.orderItems[0]?.product.price).toMatchObject({ unitPrice: { currencyCode: 'USD' } });
    expect(u.body.order.proceeds).toMatchObject({ grandTotal: { currencyCode: 'USD' } });
    const a = await sp<{ order: Record<string, unknown> }>(sim, token, 'GET', `/orders/2026-01-01/orders/${afn.orderId}` + qs({ includedData: all }));
    expect(a.body.order.recipient).toBeUndefined();
    expect(a.body.order.fulfillment).toMatchObject({ fulfilledBy: 'AMAZON', fulfillmentStatus: 'SHIPPED' });
    const bare = await sp<{ order: Record<string, unknown> }>(sim, token, 'GET', `/orders/2026-01-01/orders/${afn.orderId}`);
    expect(Object.keys(bare.body.order).sort()).toEqual(['createdTime', 'lastUpdatedTime', 'orderId', 'orderItems', 'programs', 'salesChannel']);
    expect((await sp(sim, token, 'GET', '/orders/2026-01-01/orders/999-0000000-0000000')).status).toBe(404);
    expect(sim.state.notifications.map((n) => n.Payload.OrderChangeNotification.Summary)).toHaveLength(3);
  });

  test('a buyer cancellation request shows in CANCELLATION data and as a BuyerRequestedChange notification', async () => {
    let now = T0;
    const sim = await start({ seed: { listings: 3 }, clock: () => now });
    const token = await sellerToken(sim);
    const o = sim.state.placeOrder({ items: [{ sku: 'SIM-000001', quantity: 1 }] });
    now += 1000;
    sim.state.requestCancellation(o.orderId, 'Ordered by mistake');
    const n = sim.state.notifications.at(-1)!;
    expect(n.Payload.OrderChangeNotification.OrderChangeType).toBe('BuyerRequestedChange');
    expect((n.Payload.OrderChangeNotification.Summary as { OrderItems: { IsBuyerRequestedCancel?: boolean }[] }).OrderItems[0]?.IsBuyerRequestedCancel).toBe(true);
    now += 200_000;
    type One = { order: { fulfillment: { fulfillmentStatus: string }; orderItems: { cancellation?: Record<string, unknown> }[] } };
    const r = await sp<One>(sim, token, 'GET', `/orders/2026-01-01/orders/${o.orderId}?includedData=CANCELLATION,FULFILLMENT`);
    expect(r.body.order.fulfillment.fulfillmentStatus).toBe('UNSHIPPED');
    expect(r.body.order.orderItems[0]?.cancellation).toEqual({ cancellationRequest: { requester: 'BUYER', cancelReason: 'Ordered by mistake' } });
    sim.state.setOrderStatus(o.orderId, 'CANCELLED');
    const c = await sp<One>(sim, token, 'GET', `/orders/2026-01-01/orders/${o.orderId}?includedData=CANCELLATION,FULFILLMENT`);
    expect(c.body.order.fulfillment.fulfillmentStatus).toBe('CANCELLED');
    expect(c.body.order.orderItems[0]?.cancellation).toMatchObject({ cancellationExecution: { cancelledBy: 'BUYER' } });
  });

  test('orders updated in the last two minutes appear only once the window reaches them', async () => {
    let now = T0;
    const sim = await start({ clock: () => now });
    const token = await sellerToken(sim);
    const o = sim.state.placeOrder();
    const q = '/orders/2026-01-01/orders' + qs({ lastUpdatedAfter: new Date(T0 - 3_600_000).toISOString() });
    expect((await sp<Orders>(sim, token, 'GET', q)).body.orders).toHaveLength(0);
    now += 121_000;
    expect((await sp<Orders>(sim, token, 'GET', q)).body.orders.map((x) => x.orderId)).toEqual([o.orderId]);
  });
});

describe('confirmShipment (orders v0)', () => {
  async function setup() {
    let now = T0;
    const sim = await start({ seed: { listings: 3 }, clock: () => (now += 1) });
    const token = await sellerToken(sim);
    const order = sim.state.placeOrder({ items: [{ sku: 'SIM-000001', quantity: 3 }, { sku: 'SIM-000002', quantity: 1 }] });
    const [a, b] = order.items;
    const confirm = (ref: string, items: { orderItemId: string; quantity: number }[], extra: Record<string, unknown> = {}) =>
      sp<{ errors?: { code: string; message: string; details?: string }[] }>(sim, token, 'POST', `/orders/v0/orders/${order.orderId}/shipmentConfirmation`, {
        marketplaceId: 'ATVPDKIKX0DER',
        packageDetail: { packageReferenceId: ref, carrierCode: 'UPS', trackingNumber: `1Z${ref}`, shipDate: '2026-06-01T10:00:00Z', orderItems: items, ...extra },
      });
    return { sim, token, order, a: a!, b: b!, confirm };
  }

  test('partial then complete shipments move Unshipped -> PartiallyShipped -> Shipped; 204 with no body', async () => {
    const { sim, token, order, a, b, confirm } = await setup();
    const first = await confirm('1', [{ orderItemId: a.orderItemId, quantity: 2 }]);
    expect(first.status).toBe(204);
    expect(first.text).toBe('');
    expect(sim.state.orders.get(order.orderId)?.status).toBe('PARTIALLY_SHIPPED');
    const second = await confirm('2', [
      { orderItemId: a.orderItemId, quantity: 1 },
      { orderItemId: b.orderItemId, quantity: 1 },
    ]);
    expect(second.status).toBe(204);
    expect(sim.state.orders.get(order.orderId)?.status).toBe('SHIPPED');
    expect(sim.state.confirmations.get(order.orderId)?.map((c) => c.packageReferenceId)).toEqual(['1', '2']);
    const got = await sp<{ order: { packages: { packageReferenceId: string; trackingNumber: string; packageItems: unknown[] }[]; fulfillment: { fulfillmentStatus: string } } }>(
      sim,
      token,
      'GET',
      `/orders/2026-01-01/orders/${order.orderId}?includedData=PACKAGES,FULFILLMENT`,
    );
    expect(got.body.order.fulfillment.fulfillmentStatus).toBe('SHIPPED');
    expect(got.body.order.packages.map((p) => [p.packageReferenceId, p.trackingNumber])).toEqual([
      ['1', '1Z1'],
      ['2', '1Z2'],
    ]);
    const statuses = sim.state.notifications.filter((n) => n.Payload.OrderChangeNotification.AmazonOrderId === order.orderId).map((n) => (n.Payload.OrderChangeNotification.Summary as { OrderStatus: string }).OrderStatus);
    expect(statuses).toEqual(['Unshipped', 'PartiallyShipped', 'Shipped']);
  });

  test('refuses a reused packageReferenceId, more than the unshipped quantity, unknown items, a bad shipDate, FBA and Pending orders', async () => {
    const { sim, token, a, confirm } = await setup();
    expect((await confirm('1', [{ orderItemId: a.orderItemId, quantity: 1 }])).status).toBe(204);
    const again = await confirm('1', [{ orderItemId: a.orderItemId, quantity: 1 }]);
    expect(again.status).toBe(400);
    expect(again.body.errors?.[0]?.details).toMatch(/already been confirmed/);
    const over = await confirm('2', [{ orderItemId: a.orderItemId, quantity: 3 }]);
    expect(over.status).toBe(400);
    expect(over.body.errors?.[0]?.details).toMatch(/exceeds the unshipped quantity 2/);
    expect((await confirm('3', [{ orderItemId: '000', quantity: 1 }])).status).toBe(400);
    expect((await confirm('4', [{ orderItemId: a.orderItemId, quantity: 1 }], { shipDate: '02/21/2022' })).status).toBe(400);
    const missing = await sp(sim, token, 'POST', `/orders/v0/orders/${a.orderItemId}/shipmentConfirmation`, { marketplaceId: 'ATVPDKIKX0DER' });
    expect(missing.status).toBe(400);
    for (const o of [sim.state.placeOrder({ fulfilledBy: 'AMAZON' }), sim.state.placeOrder({ status: 'PENDING' })]) {
      const r = await sp(sim, token, 'POST', `/orders/v0/orders/${o.orderId}/shipmentConfirmation`, {
        marketplaceId: 'ATVPDKIKX0DER',
        packageDetail: { packageReferenceId: '1', carrierCode: 'UPS', trackingNumber: 'T', shipDate: '2026-06-01T10:00:00Z', orderItems: [{ orderItemId: o.items[0]!.orderItemId, quantity: 1 }] },
      });
      expect(r.status).toBe(400);
    }
    expect(sim.state.confirmations.get([...sim.state.confirmations.keys()][0]!)).toHaveLength(1);
    expect((await sp(sim, token, 'POST', '/orders/v0/orders/111-1111111-1111111/shipmentConfirmation', { marketplaceId: 'ATVPDKIKX0DER', packageDetail: { packageReferenceId: '1', carrierCode: 'UPS', trackingNumber: 'T', shipDate: '2026-06-01T10:00:00Z', orderItems: [] } })).status).toBe(404);
  });
});

describe('listings items', () => {
  test('patch quantity and price: ACCEPTED, applied, read back through offers and fulfillmentAvailability', async () => {
    const sim = await start({ seed: { listings: 5 } });
    const token = await sellerToken(sim);
    const path = `/listings/2021-08-01/items/${sim.sellerId}/SIM-000002?marketplaceIds=ATVPDKIKX0DER`;
    const r = await sp<{ sku: string; status: string; submissionId: string; issues: unknown[] }>(sim, token, 'PATCH', path, {
      productType: 'PRODUCT',
      patches: [
        { op: 'replace', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: 7 }] },
        { op: 'replace', path: '/attributes/purchasable_offer', value: [{ currency: 'USD', marketplace_id: 'ATVPDKIKX0DER', our_price: [{ schedule: [{ value_with_tax: 12.5 }] }] }] },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ sku: 'SIM-000002', status: 'ACCEPTED', issues: [] });
    expect(sim.state.quantityOf('SIM-000002')).toBe(7);
    expect(sim.state.priceOf('SIM-000002')).toBe(12.5);
    expect(sim.state.listingWrites.map((w) => [w.sku, w.kind])).toEqual([['SIM-000002', 'patch']]);
    const got = await sp<{ offers: { price: { amount: string } }[]; fulfillmentAvailability: { quantity: number }[]; summaries: { status: string[] }[] }>(
      sim,
      token,
      'GET',
      path + '&includedData=summaries,offers,fulfillmentAvailability,issues,attributes',
    );
    expect(got.body.offers[0]?.price.amount).toBe('12.50');
    expect(got.body.fulfillmentAvailability[0]?.quantity).toBe(7);
    expect(got.body.summaries[0]?.status).toEqual(['BUYABLE', 'DISCOVERABLE']);
  });

  test('invalid values and missing required attributes answer INVALID with issues naming the attribute, and change nothing', async () => {
    const sim = await start({ seed: { listings: 5 } });
    const token = await sellerToken(sim);
    const before = sim.state.quantityOf('SIM-000002');
    const bad = await sp<{ status: string; issues: { attributeNames: string[]; severity: string }[] }>(sim, token, 'PATCH', `/listings/2021-08-01/items/${sim.sellerId}/SIM-000002?marketplaceIds=ATVPDKIKX0DER`, {
      productType: 'PRODUCT',
      patches: [{ op: 'replace', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: -3 }] }],
    });
    expect(bad.body.status).toBe('INVALID');
    expect(bad.body.issues[0]).toMatchObject({ attributeNames: ['fulfillment_availability'], severity: 'ERROR' });
    expect(sim.state.quantityOf('SIM-000002')).toBe(before);
    const put = await sp<{ status: string; issues: { attributeNames: string[]; categories: string[] }[] }>(sim, token, 'PUT', `/listings/2021-08-01/items/${sim.sellerId}/NEW-SHIRT?marketplaceIds=ATVPDKIKX0DER`, {
      productType: 'SHIRT',
      requirements: 'LISTING',
      attributes: { item_name: [{ value: 'Tee', language_tag: 'en_US', marketplace_id: 'ATVPDKIKX0DER' }], parentage_level: [{ value: 'child' }] },
    });
    expect(put.body.status).toBe('INVALID');
    const missing = put.body.issues.filter((i) => i.categories.includes('MISSING_ATTRIBUTE')).flatMap((i) => i.attributeNames).sort();
    expect(missing).toEqual(['brand', 'child_parent_sku_relationship', 'color', 'condition_type', 'department', 'size']);
    expect(sim.state.listings.has('NEW-SHIRT')).toBe(false);
    const unknownType = await sp<{ status: string }>(sim, token, 'PATCH', `/listings/2021-08-01/items/${sim.sellerId}/SIM-000002?marketplaceIds=ATVPDKIKX0DER`, {
      productType: 'SPACESHIP',
      patches: [{ op: 'replace', path: '/attributes/item_name', value: [{ value: 'x' }] }],
    });
    expect(unknownType.body.status).toBe('INVALID');
    expect(sim.state.listingWrites).toEqual([]);
  });

  test('put creates, VALIDATION_PREVIEW validates without writing, search pages, delete removes', async () => {
    const sim = await start({ seed: { listings: 25 } });
    const token = await sellerToken(sim);
    const attrs = {
      item_name: [{ value: 'Carry-on', language_tag: 'en_US', marketplace_id: 'ATVPDKIKX0DER' }],
      brand: [{ value: 'Acme', language_tag: 'en_US', marketplace_id: 'ATVPDKIKX0DER' }],
      color: [{ value: 'Red', language_tag: 'en_US', marketplace_id: 'ATVPDKIKX0DER' }],
      condition_type: [{ value: 'new_new', marketplace_id: 'ATVPDKIKX0DER' }],
      fulfillment_availability: [{ fulfillment_channel_code: 'DEFAULT', quantity: 4 }],
    };
    const base = `/listings/2021-08-01/items/${sim.sellerId}/BAG-1?marketplaceIds=ATVPDKIKX0DER`;
    const preview = await sp<{ status: string; identifiers: unknown[] }>(sim, token, 'PUT', base + '&mode=VALIDATION_PREVIEW&includedData=identifiers,issues', { productType: 'LUGGAGE', attributes: attrs });
    expect(preview.body.status).toBe('VALID');
    expect(sim.state.listings.has('BAG-1')).toBe(false);
    const put = await sp<{ status: string }>(sim, token, 'PUT', base, { productType: 'LUGGAGE', attributes: attrs });
    expect(put.body.status).toBe('ACCEPTED');
    expect(sim.state.quantityOf('BAG-1')).toBe(4);
    const skus: string[] = [];
    let pageToken: string | undefined;
    do {
      const r = await sp<{ numberOfResults: number; items: { sku: string }[]; pagination?: { nextToken?: string } }>(
        sim,
        token,
        'GET',
        `/listings/2021-08-01/items/${sim.sellerId}` + qs({ marketplaceIds: ['ATVPDKIKX0DER'], pageSize: 20, sortBy: 'sku', sortOrder: 'ASC', pageToken }),
      );
      expect(r.status).toBe(200);
      expect(r.body.numberOfResults).toBe(26);
      skus.push(...r.body.items.map((i) => i.sku));
      pageToken = r.body.pagination?.nextToken;
    } while (pageToken);
    expect(skus).toEqual([...skus].sort());
    expect(new Set(skus).size).toBe(26);
    const warned = await sp<{ items: { sku: string; issues: { severity: string }[] }[] }>(
      sim,
      token,
      'GET',
      `/listings/2021-08-01/items/${sim.sellerId}` + qs({ marketplaceIds: ['ATVPDKIKX0DER'], withIssueSeverity: ['WARNING'], includedData: ['issues'] }),
    );
    expect(warned.body.items.map((i) => i.sku)).toEqual(['SIM-000025']);
    expect(warned.body.items[0]?.issues[0]?.severity).toBe('WARNING');
    const bySku = await sp<{ items: { sku: string }[] }>(sim, token, 'GET', `/listings/2021-08-01/items/${sim.sellerId}` + qs({ marketplaceIds: ['ATVPDKIKX0DER'], identifiersType: 'SKU', identifiers: ['BAG-1', 'SIM-000003'] }));
    expect(bySku.body.items.map((i) => i.sku).sort()).toEqual(['BAG-1', 'SIM-000003']);
    const del = await sp<{ status: string }>(sim, token, 'DELETE', base);
    expect(del.body.status).toBe('ACCEPTED');
    expect((await sp(sim, token, 'GET', base)).status).toBe(404);
    expect((await sp(sim, token, 'GET', `/listings/2021-08-01/items/OTHERSELLER/SIM-000001?marketplaceIds=ATVPDKIKX0DER`)).status).toBe(403);
    expect((await sp(sim, token, 'GET', `/listings/2021-08-01/items/${sim.sellerId}/SIM-000001`)).status).toBe(400);
  });
});

describe('variation families', () => {
  test('seeded SHIRT parents list their children and theme; children name the parent; parents are not buyable', async () => {
    const sim = await start({ seed: { listings: 45, orders: 200 } });
    const token = await sellerToken(sim);
    type Rel = { relationships: { marketplaceId: string; relationships: { type: string; childSkus?: string[]; parentSkus?: string[]; variationTheme?: { theme: string } }[] }[]; summaries: { status: string[] }[] };
    const parent = await sp<Rel>(sim, token, 'GET', `/listings/2021-08-01/items/${sim.sellerId}/SIM-000020?marketplaceIds=ATVPDKIKX0DER&includedData=summaries,relationships`);
    expect(parent.body.relationships[0]?.relationships).toEqual([{ type: 'VARIATION', childSkus: ['SIM-000021', 'SIM-000022'], variationTheme: { theme: 'SIZE/COLOR', attributes: ['size', 'color'] } }]);
    expect(parent.body.summaries[0]?.status).toEqual(['DISCOVERABLE']);
    const child = await sp<Rel>(sim, token, 'GET', `/listings/2021-08-01/items/${sim.sellerId}/SIM-000021?marketplaceIds=ATVPDKIKX0DER&includedData=summaries,relationships`);
    expect(child.body.relationships[0]?.relationships).toEqual([{ type: 'VARIATION', parentSkus: ['SIM-000020'] }]);
    const family = await sp<{ items: { sku: string }[] }>(sim, token, 'GET', `/listings/2021-08-01/items/${sim.sellerId}` + qs({ marketplaceIds: ['ATVPDKIKX0DER'], variationParentSku: 'SIM-000040', sortBy: 'sku', sortOrder: 'ASC' }));
    expect(family.body.items.map((i) => i.sku)).toEqual(['SIM-000041', 'SIM-000042']);
    for (const o of sim.state.orders.values()) for (const it of o.items) expect(['SIM-000020', 'SIM-000040']).not.toContain(it.sku);
    // A new child without the theme's attributes is refused, naming them.
    const bad = await sp<{ status: string; issues: { attributeNames: string[] }[] }>(sim, token, 'PUT', `/listings/2021-08-01/items/${sim.sellerId}/SIM-NEWCHILD?marketplaceIds=ATVPDKIKX0DER`, {
      productType: 'SHIRT',
      attributes: {
        ...structuredClone(sim.state.listings.get('SIM-000021')!.attributes),
        size: undefined,
      },
    });
    expect(bad.body.status).toBe('INVALID');
    expect(bad.body.issues.flatMap((i) => i.attributeNames)).toContain('size');
  });
});

describe('seeded SKUs', () => {
  test('seed.skus names the listings (a store\'s SKUs), parents included; orders reference them', async () => {
    const skus = Array.from({ length: 45 }, (_, i) => `STORE-${i}`);
    const sim = await start({ seed: { skus, orders: 50 } });
    expect([...sim.state.listings.keys()]).toEqual(skus);
    // The 20th listing is a variation parent; its children name it by the given SKU.
    const child = sim.state.listings.get('STORE-20')!.attributes.child_parent_sku_relationship as { parent_sku: string }[];
    expect(child[0]?.parent_sku).toBe('STORE-19');
    for (const o of sim.state.orders.values()) for (const it of o.items) expect(skus).toContain(it.sku);
    expect(sim.state.quantityOf('STORE-0')).not.toBeNull();
    await expect(start({ seed: { skus: ['A'], listings: 2 } })).rejects.toThrow(/only 1 skus/);
  });
});

describe('rate limits and faults', () => {
  test('each operation has its own bucket at the documented burst; 429 QuotaExceeded with x-amzn-RateLimit-Limit; refills at rate x timeScale', async () => {
    let now = T0;
    const sim = await start({ rateLimits: true, clock: () => now, timeScale: 10, seed: { orders: 5 } });
    const token = await sellerToken(sim);
    const id = [...sim.state.orders.keys()][0] as string;
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await sp(sim, token, 'GET', `/orders/2026-01-01/orders/${id}`)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(30); // getOrder burst 30
    const limited = await sp<{ errors: { code: string }[] }>(sim, token, 'GET', `/orders/2026-01-01/orders/${id}`);
    expect(limited.status).toBe(429);
    expect(limited.body.errors[0]?.code).toBe('QuotaExceeded');
    expect(limited.headers.get('x-amzn-ratelimit-limit')).toBe('5'); // 0.5/s x 10
    expect(sim.usagePlan('getOrder')).toEqual({ rate: 5, burst: 30 });
    expect(sim.usagePlan('patchListingsItem')).toEqual({ rate: 50, burst: 5 });
    expect(sim.usagePlan('createFeed')).toEqual({ rate: 0.083, burst: 15 });
    // Other operations keep their own buckets.
    expect((await sp(sim, token, 'GET', '/sellers/v1/marketplaceParticipations')).status).toBe(200);
    now += 200; // 0.2 s at 5/s: one token
    expect((await sp(sim, token, 'GET', `/orders/2026-01-01/orders/${id}`)).status).toBe(200);
    expect((await sp(sim, token, 'GET', `/orders/2026-01-01/orders/${id}`)).status).toBe(429);
    // searchOrders: burst 20, 0.0056/s.
    const s: number[] = [];
    for (let i = 0; i < 21; i++) s.push((await sp(sim, token, 'GET', '/orders/2026-01-01/orders?createdAfter=2026-01-01T00:00:00Z')).status);
    expect(s.filter((x) => x === 429)).toHaveLength(1);
    expect(sim.requests.filter((r) => r.status === 429).map((r) => r.operation)).toEqual(['getOrder', 'getOrder', 'getOrder', 'searchOrders']);
  });

  test('storm429, failNext, malformedNext and timeoutNext hit the next calls, optionally of one operation', async () => {
    const sim = await start({ seed: { orders: 3 } });
    const token = await sellerToken(sim);
    const mp = '/sellers/v1/marketplaceParticipations';
    sim.faults.storm429(2, 'getOrder');
    expect((await sp(sim, token, 'GET', mp)).status).toBe(200);
    const id = [...sim.state.orders.keys()][0] as string;
    expect((await sp(sim, token, 'GET', `/orders/2026-01-01/orders/${id}`)).status).toBe(429);
    expect((await sp(sim, token, 'GET', `/orders/2026-01-01/orders/${id}`)).status).toBe(429);
    expect((await sp(sim, token, 'GET', `/orders/2026-01-01/orders/${id}`)).status).toBe(200);
    sim.faults.failNext(503, 1);
    const r503 = await sp<{ errors: { code: string }[] }>(sim, token, 'GET', mp);
    expect(r503.status).toBe(503);
    sim.faults.failNext(500, 1);
    expect((await sp(sim, token, 'GET', mp)).status).toBe(500);
    sim.faults.malformedNext(1);
    const bad = await sp(sim, token, 'GET', mp);
    expect(bad.status).toBe(200);
    expect(() => JSON.parse(bad.text)).toThrow();
    sim.faults.timeoutNext(1);
    await expect(fetch(sim.url + mp, { headers: { 'x-amz-access-token': token }, signal: AbortSignal.timeout(300) })).rejects.toThrow();
    expect((await sp(sim, token, 'GET', mp)).status).toBe(200);
    sim.faults.storm429(5);
    sim.faults.clear();
    // failAfterEffectNext: the confirmation is applied, the answer lost; the retry finds the package confirmed.
    const o = sim.state.placeOrder({ items: [{ sku: 'SIM-X', quantity: 1 }] });
    const body = { marketplaceId: 'ATVPDKIKX0DER', packageDetail: { packageReferenceId: 'p1', carrierCode: 'UPS', trackingNumber: 'T1', shipDate: '2026-06-01T10:00:00Z', orderItems: [{ orderItemId: o.items[0]!.orderItemId, quantity: 1 }] } };
    sim.faults.failAfterEffectNext(1, 'confirmShipment');
    await expect(sp(sim, token, 'POST', `/orders/v0/orders/${o.orderId}/shipmentConfirmation`, body)).rejects.toThrow();
    expect(sim.state.confirmations.get(o.orderId)).toHaveLength(1);
    expect((await sp(sim, token, 'POST', `/orders/v0/orders/${o.orderId}/shipmentConfirmation`, body)).status).toBe(400);
    expect(sim.state.confirmations.get(o.orderId)).toHaveLength(1);
    // slowAfterEffectNext: the confirmation is applied at once, its answer comes only after the delay.
    const o2 = sim.state.placeOrder({ items: [{ sku: 'SIM-X', quantity: 1 }] });
    sim.faults.slowAfterEffectNext(1, 400, 'confirmShipment');
    const t0 = Date.now();
    const slow = sp(sim, token, 'POST', `/orders/v0/orders/${o2.orderId}/shipmentConfirmation`, { ...body, packageDetail: { ...body.packageDetail, orderItems: [{ orderItemId: o2.items[0]!.orderItemId, quantity: 1 }] } });
    await new Promise((r) => setTimeout(r, 150));
    expect(sim.state.confirmations.get(o2.orderId)).toHaveLength(1);
    expect((await slow).status).toBe(204);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
    const wrongType = await fetch(`${sim.url}/orders/v0/orders/${o.orderId}/shipmentConfirmation`, { method: 'POST', headers: { 'x-amz-access-token': token, 'content-type': 'text/plain' }, body: JSON.stringify(body) });
    expect(wrongType.status).toBe(400);
    const wrongType2 = await fetch(`${sim.url}/listings/2021-08-01/items/${sim.sellerId}/SIM-X?marketplaceIds=ATVPDKIKX0DER`, { method: 'PATCH', headers: { 'x-amz-access-token': token, 'content-type': 'text/plain' }, body: '{}' });
    expect(wrongType2.status).toBe(415);
    expect((await sp(sim, token, 'GET', mp)).status).toBe(200);
    expect(sim.requestCount()).toBe(sim.requests.filter((r) => r.operation !== 'lwaToken').length);
  });
});

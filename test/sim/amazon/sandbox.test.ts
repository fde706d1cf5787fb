// Conformance with Amazon's models: every static sandbox case (`x-amzn-api-sandbox`) of every operation
// the simulator serves is sent to its sandbox endpoint as the case writes it, and must come back with the
// case's status and body; every response (sandbox and live) is validated against the model's schema for
// that operation and status, and the models' own examples are checked with the same validator so it is
// known to reject what it should.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spModels, startAmazonSim, type AmazonSim, type OperationSpec, type SandboxCase } from './index.ts';
import { sellerToken, grantlessToken } from './helpers.ts';

let sim: AmazonSim;
let seller: string;
let grantless: string;

beforeAll(async () => {
  sim = await startAmazonSim({ rateLimits: false });
  seller = await sellerToken(sim);
  grantless = await grantlessToken(sim);
});
afterAll(async () => {
  await sim.stop();
});

const models = spModels();
const cases: [string, number, OperationSpec, SandboxCase][] = [];
for (const op of models.operations.values()) {
  op.sandbox.forEach((c, i) => cases.push([op.operationId, i, op, c]));
}

/** The HTTP request a sandbox case describes: path and query parameters from the case, its body as JSON. */
function requestOf(op: OperationSpec, c: SandboxCase): { path: string; body?: string } {
  let path = op.path;
  const query = new URLSearchParams();
  let body: string | undefined;
  for (const p of op.parameters) {
    // Cases name the body parameter `body` whatever the model calls it.
    const spec = c.parameters[p.name] ?? (p.in === 'body' ? c.parameters.body : undefined);
    const value = spec && 'value' in spec ? spec.value : undefined;
    if (p.in === 'path') {
      path = path.replace(`{${p.name}}`, encodeURIComponent(value === undefined ? `sandbox-${p.name}` : String(value)));
    } else if (p.in === 'query' && value !== undefined) {
      query.set(p.name, Array.isArray(value) ? value.join(',') : String(value));
    } else if (p.in === 'body' && value !== undefined) {
      body = JSON.stringify(value);
    }
  }
  const q = query.toString();
  return { path: path + (q ? `?${q}` : ''), ...(body !== undefined ? { body } : {}) };
}

describe('static sandbox cases', () => {
  test('the served operations have sandbox cases to check', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
    const ops = new Set(cases.map(([id]) => id));
    for (const id of ['searchOrders', 'getOrder', 'confirmShipment', 'getMarketplaceParticipations', 'patchListingsItem', 'createFeed', 'getDefinitionsProductType', 'searchCatalogItems', 'createDestination']) {
      expect(ops).toContain(id);
    }
  });

  test.each(cases)('%s case %i', async (_id, _i, op, c) => {
    const { path, body } = requestOf(op, c);
    const res = await fetch(sim.sandboxUrl + path, {
      method: op.method,
      headers: { 'x-amz-access-token': op.grantless ? grantless : seller, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    expect(res.status).toBe(c.status);
    expect(res.headers.get('x-amzn-requestid')).toBeTruthy();
    if (c.hasResponse && !(c.status === 204)) expect(JSON.parse(text)).toEqual(c.response);
    else expect(text === '' || text === '{}').toBe(true);
    expect(models.check(op.operationId, c.status, text ? JSON.parse(text) : undefined)).toEqual([]);
  });

  test('every response of the sandbox run validated against the models', () => {
    expect(sim.violations).toEqual([]);
    expect(sim.requests.filter((r) => r.operation !== 'lwaToken').length).toBe(cases.length);
  });

  test('with sandbox: true the plain paths answer the cases; tokens are still required', async () => {
    const sb = await startAmazonSim({ sandbox: true });
    try {
      const token = await sellerToken(sb);
      const c = cases.find(([id, , , k]) => id === 'getOrder' && k.status === 200)!;
      const { path } = requestOf(c[2], c[3]);
      const r = await fetch(sb.url + path, { headers: { 'x-amz-access-token': token } });
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual(c[3].response);
      expect((await fetch(sb.url + path)).status).toBe(403);
      expect(sb.violations).toEqual([]);
    } finally {
      await sb.stop();
    }
  });

  test('a request no case describes is answered 400, as the sandbox does', async () => {
    const res = await fetch(`${sim.sandboxUrl}/orders/2026-01-01/orders/902-0000000-0000000`, { headers: { 'x-amz-access-token': seller } });
    expect(res.status).toBe(400);
  });
});

describe('the response validator', () => {
  test('rejects bodies that break the models', () => {
    expect(models.check('getOrder', 200, { order: { orderId: '1' } })).not.toEqual([]);
    expect(models.check('searchOrders', 200, { orders: [], pagination: { nextToken: 5 } })).not.toEqual([]);
    expect(models.check('confirmShipment', 204, { unexpected: true })).not.toEqual([]);
    expect(models.check('getMarketplaceParticipations', 200, { payload: [{ marketplace: { id: 'X' } }] })).not.toEqual([]);
    expect(models.check('patchListingsItem', 200, { sku: 'a', status: 'MAYBE', submissionId: 's' })).not.toEqual([]);
    expect(models.check('getOrder', 418, {})).not.toEqual([]);
    // Values the models list only in prose ("**Possible values**: ...") are enforced too.
    const sample = models.operations.get('getOrder')?.sandbox.find((c) => c.status === 200)?.response as { order: { fulfillment: { fulfilledBy: string } } };
    expect(models.check('getOrder', 200, sample)).toEqual([]);
    const robot = structuredClone(sample);
    robot.order.fulfillment.fulfilledBy = 'ROBOT';
    expect(models.check('getOrder', 200, robot).join()).toMatch(/fulfilledBy must be equal to one of the allowed values/);
    expect(models.check('getFeed', 200, { feedId: '1', feedType: 'JSON_LISTINGS_FEED', createdTime: '2026-01-01T00:00:00Z', processingStatus: 'DONE' })).toEqual([]);
  });

  test('the feed and processing-report examples shipped with the schemas validate; broken ones do not', async () => {
    const { readSpec } = await import('./models.ts');
    const feed = readSpec('schemas/feeds/listings-feed-schema-v2.example.json');
    expect(models.listingsFeed(feed)).toBe(true);
    const report = readSpec('schemas/feeds/listings-feed-processing-report-schema-v2.example.json');
    expect(models.processingReport(report)).toBe(true);
    expect(models.processingReport({ header: { sellerId: 'A', version: '1.0', feedId: '1' }, issues: [], summary: {} })).toBe(false);
    expect(models.listingsFeedMessage({ messageId: 0, sku: '', operationType: 'UPSERT' })).toBe(false);
  });

  test('ORDER_CHANGE payloads emitted by the simulator validate against OrderChangeNotification.json', async () => {
    const own = await startAmazonSim({ seed: { listings: 3 } });
    try {
      const o = own.state.placeOrder({ status: 'PENDING' });
      own.state.setOrderStatus(o.orderId, 'UNSHIPPED');
      own.state.placeOrder({ fulfilledBy: 'AMAZON', status: 'SHIPPED' });
      own.state.setOrderStatus(o.orderId, 'CANCELLED');
      expect(own.state.notifications).toHaveLength(4);
      for (const n of own.state.notifications) expect(models.orderChangeNotification(n)).toBe(true);
      expect(own.violations).toEqual([]);
      const broken = structuredClone(own.state.notifications[0]) as { Payload: { OrderChangeNotification: Record<string, unknown> } };
      delete broken.Payload.OrderChangeNotification.AmazonOrderId;
      expect(models.orderChangeNotification(broken)).toBe(false);
    } finally {
      await own.stop();
    }
  });
});

// The Shopify GraphQL client against the simulator: @shopify/admin-api-client over our transport, both
// credential kinds (a refused grant is auth_failed; an expiring token is renewed before it expires), cost-based
// throttling on the shared throttle (the requested cost taken up front, the unused part refunded, Shopify's
// points-left learned), THROTTLED answers waited out, queries over the maximum cost never sent, and Shopify's
// refusals and faults mapped to our error kinds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.ts';
import { ShopifyClient, type ShopifyClientOptions } from '../../src/adapters/shopify/client.ts';
import { MemoryThrottle } from '../../src/store/memory-throttle.ts';
import { startShopifySim, type ShopifySim } from '../sim/shopify/index.ts';

let sim: ShopifySim;
let now = Date.parse('2026-12-01T00:00:00Z');
const clock = () => now;

beforeAll(async () => {
  sim = await startShopifySim({ clock, seed: { products: 30, orders: 5 } });
});
afterAll(async () => {
  await sim.stop();
});

function client(over: Partial<ShopifyClientOptions> = {}, throttle: MemoryThrottle | null = new MemoryThrottle()): ShopifyClient {
  return new ShopifyClient({
    shop: sim.shopDomain,
    endpoint: sim.url,
    credentials: { type: 'access_token', access_token: sim.accessToken },
    ctx: { connectionId: 'con_test', allowPrivateUpstreams: true, ...(throttle ? { throttle } : {}) },
    clock,
    ...over,
  });
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

describe('ShopifyClient', () => {
  it('reads through @shopify/admin-api-client on our transport, with the version in the path', async () => {
    const c = client();
    const before = sim.requests.length;
    const { data, cost } = await c.query<{ shop: { name: string; currencyCode: string } }>('shop', '{ shop { name currencyCode } }', {}, 1);
    expect(data.shop).toEqual({ name: 'Switchyard Sim', currencyCode: 'USD' });
    expect(cost?.requestedQueryCost).toBe(1);
    expect(sim.requests.slice(before).map((r) => r.path)).toEqual(['/admin/api/2026-10/graphql.json']);
    expect(c.transport.calls).toBe(1);
  });

  it('takes the requested cost from the throttle, gets the unused part back, and learns the points left', async () => {
    const throttle = new MemoryThrottle();
    const c = client({}, throttle);
    sim.bucket().refund(10_000);
    await c.query('products', '{ products(first: 100) { nodes { id } } }', {}, 102);
    const last = c.costs[c.costs.length - 1];
    expect(last.requestedQueryCost).toBe(102);
    expect(last.actualQueryCost).toBe(32); // 30 products + 2
    // Our bucket holds what Shopify said was left: a call costing exactly that goes at once, one point more waits.
    const left = last.throttleStatus.currentlyAvailable;
    await throttle.acquire(c.throttleKey(), { ratePerSec: 100, burst: 2000 }, { tokens: left - 1, maxWaitMs: 0 });
    await expect(throttle.acquire(c.throttleKey(), { ratePerSec: 100, burst: 2000 }, { tokens: 50, maxWaitMs: 0 })).rejects.toMatchObject({ kind: 'throttled' });
  });

  it('never sends a query over the single-query maximum', async () => {
    const before = sim.requests.length;
    const err = await failure(client().query('products', '{ products(first: 250) { nodes { id variants(first: 10) { nodes { id } } } } }', {}, 3252));
    expect(err.kind).toBe('validation');
    expect(err.message).toMatch(/over the single-query maximum of 1000; split it/);
    expect(sim.requests.length).toBe(before);
  });

  it('waits out a THROTTLED answer for the points it needs, then succeeds', async () => {
    const throttle = new MemoryThrottle();
    const c = client({}, throttle);
    sim.bucket().refund(10_000);
    sim.bucket().drain(2000 - 30); // 30 left; the query needs 102
    const q = c.query<{ products: { nodes: unknown[] } }>('products', '{ products(first: 100) { nodes { id } } }', {}, 102);
    // Our throttle now waits ~0.72 s of real time for 72 points; the simulator's clock is moved a little faster
    // than real time meanwhile, so its bucket has them when the call arrives.
    const tick = setInterval(() => (now += 150), 100);
    try {
      const { data } = await q;
      expect(data.products.nodes).toHaveLength(30);
    } finally {
      clearInterval(tick);
    }
    const throttledCalls = sim.requests.filter((r) => r.throttled).length;
    expect(throttledCalls).toBe(1);
  });

  it('gives a throttled error with the wait when the points are far off and no throttle is shared', async () => {
    sim.bucket().drain(2000);
    const err = await failure(client({}, null).query('products', '{ products(first: 249) { nodes { id } } }', {}, 251));
    expect(err.kind).toBe('throttled');
    expect(err.retryAfterMs).toBeGreaterThan(INLINE_WAIT_FLOOR);
    sim.bucket().refund(10_000);
  });

  it('maps Shopify refusals and faults to error kinds', async () => {
    const bad = await failure(client({ credentials: { type: 'access_token', access_token: 'shpat_wrong' } }).query('shop', '{ shop { name } }', {}, 1));
    expect([bad.kind, bad.retriable]).toEqual(['auth_failed', false]);
    const invalid = await failure(client().query('shop', '{ shop { nope } }', {}, 1));
    expect(invalid.kind).toBe('validation');
    expect(invalid.errors?.[0].message).toContain('nope');
    sim.faults.failNext(503);
    expect((await failure(client().query('shop', '{ shop { name } }', {}, 1))).kind).toBe('upstream_unavailable');
    sim.faults.malformedNext(1);
    expect((await failure(client().query('shop', '{ shop { name } }', {}, 1))).kind).toBe('upstream_unavailable');
    sim.faults.throttle429Next(1);
    const t = await failure(client().query('shop', '{ shop { name } }', {}, 1));
    expect([t.kind, t.retryAfterMs]).toEqual(['throttled', 1000]);
  });

  it('exchanges client credentials for a token, renews it before it expires, and refuses a bad secret as auth_failed', async () => {
    const creds = { type: 'client_credentials' as const, client_id: sim.app.clientId, client_secret: sim.app.clientSecret };
    const c = client({ credentials: creds });
    const grants = () => sim.requests.filter((r) => r.path === '/admin/oauth/access_token').length;
    const start = grants();
    await c.query('shop', '{ shop { name } }', {}, 1);
    await c.query('shop', '{ shop { name } }', {}, 1);
    expect(grants() - start).toBe(1);
    now += 86_399_000 - 5 * 60_000; // five minutes before expiry: renewed, never refused
    try {
      await c.query('shop', '{ shop { name } }', {}, 1);
      expect(grants() - start).toBe(2);
      expect(sim.requests.filter((r) => r.status === 401 && r.path.endsWith('graphql.json')).length).toBe(1); // only the wrong-token test above
    } finally {
      now -= 86_399_000 - 5 * 60_000;
    }
    const refused = await failure(client({ credentials: { ...creds, client_secret: 'shpss_wrong' } }).query('shop', '{ shop { name } }', {}, 1));
    expect([refused.kind, refused.retriable]).toEqual(['auth_failed', false]);
  });
});

const INLINE_WAIT_FLOOR = 2_000;

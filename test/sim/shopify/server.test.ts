// The Shopify simulator's read side: auth as Shopify refuses it, every operation validated against the 2026-10
// schema, connection rules (first/last required, at most 250), query cost by Shopify's rules from a leaky
// bucket (refunds, THROTTLED, the single-query maximum), cursors bound to their query, search filters that
// trail writes, the 60-day order window, and MoneyBag amounts as exact decimal strings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { data, gql } from './client.ts';
import { cents, startShopifySim, type ShopifySim } from './index.ts';

let now = Date.parse('2026-12-01T12:00:00Z');
const clock = () => now;
let sim: ShopifySim;

beforeAll(async () => {
  sim = await startShopifySim({ clock, seed: { products: 12, orders: 10, maxVariants: 3 }, searchLagMs: 5_000 });
});
afterAll(async () => {
  await sim.stop();
});

describe('auth', () => {
  it('refuses a missing, unknown or expired token with 401 and Shopify\'s body', async () => {
    for (const token of [null, 'shpat_nope']) {
      const r = await fetch(sim.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { 'x-shopify-access-token': token } : {}) }, body: JSON.stringify({ query: '{ shop { name } }' }) });
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Basic Realm="Shopify API Authentication"');
      expect(await r.json()).toEqual({ errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
    }
  });

  it('grants expiring tokens for client credentials, and refuses a wrong secret', async () => {
    const grant = async (secret: string) =>
      fetch(`${sim.url}/admin/oauth/access_token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: sim.app.clientId, client_secret: secret, grant_type: 'client_credentials' }) });
    const bad = await grant('shpss_wrong');
    expect(bad.status).toBe(401);
    const ok = await grant(sim.app.clientSecret);
    const body = (await ok.json()) as { access_token: string; expires_in: number; scope: string };
    expect(body.expires_in).toBe(86_399);
    expect(body.scope.split(',')).toContain('write_inventory');
    expect((await gql(sim, '{ shop { name } }', undefined, body.access_token)).status).toBe(200);
    now += 86_399_000;
    try {
      expect((await gql(sim, '{ shop { name } }', undefined, body.access_token)).status).toBe(401);
      expect((await gql(sim, '{ shop { name } }')).status).toBe(200); // the custom app's token does not expire
    } finally {
      now -= 86_399_000;
    }
  });
});

describe('validation', () => {
  it('answers HTTP 200 with errors and no data for a field the schema lacks', async () => {
    const { status, body } = await gql(sim, '{ shop { name nonsense } }');
    expect(status).toBe(200);
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]).toMatchObject({ message: expect.stringContaining('nonsense'), extensions: { code: 'undefinedField' } });
  });

  it('refuses a mutation argument of the wrong type, as the schema types it', async () => {
    const { body } = await gql(sim, 'mutation { orderCancel(orderId: "gid://shopify/Order/1", reason: NOT_A_REASON, restock: true) { job { id } } }');
    expect(body.errors?.[0].message).toContain('NOT_A_REASON');
  });

  it('refuses connections without first/last and above 250', async () => {
    const none = await gql(sim, '{ products { nodes { id } } }');
    expect(none.body.errors?.[0]).toMatchObject({ message: 'you must provide one of first or last', path: ['query', 'products'] });
    const big = await gql(sim, '{ products(first: 251) { nodes { id } } }');
    expect(big.body.errors?.[0].extensions?.code).toBe('MAX_PAGE_SIZE_EXCEEDED');
    expect(big.body.data).toBeUndefined();
    const ok = await gql(sim, '{ products(first: 250) { nodes { id } } }');
    expect(ok.body.errors).toBeUndefined();
  });

  it('answers fields it does not model from the schema and names them', async () => {
    const d = await data(sim, '{ shop { name primaryDomain { host } } }');
    expect(d.shop.primaryDomain.host).toBe('');
    expect(sim.engine.unmodeled.get('Domain.host')).toBeGreaterThan(0);
  });
});

describe('query cost', () => {
  it('prices a query by Shopify\'s rules and refunds what it did not use', async () => {
    const b = sim.bucket();
    b.refund(10_000);
    // products: 2 + 10 × (product 1 + variants connection (2 + 5 × variant 1)) = 82
    const { body } = await gql(sim, '{ products(first: 10) { edges { cursor node { id title variants(first: 5) { nodes { sku price } } } } pageInfo { hasNextPage } } }');
    const cost = body.extensions!.cost;
    expect(cost.requestedQueryCost).toBe(82);
    const products = (body.data as { products: { edges: { node: { variants: { nodes: unknown[] } } }[] } }).products.edges;
    const variants = products.reduce((n, e) => n + e.node.variants.nodes.length, 0);
    expect(cost.actualQueryCost).toBe(2 + products.length * 3 + variants);
    expect(cost.actualQueryCost).toBeLessThan(82);
    expect(cost.throttleStatus).toEqual({ maximumAvailable: 2000, currentlyAvailable: 2000 - cost.actualQueryCost!, restoreRate: 100 });
  });

  it('charges a mutation 10', async () => {
    const p = [...sim.state.products.values()][0];
    const { body } = await gql(sim, 'mutation($id: ID!) { productUpdate(product: { id: $id, tags: ["x"] }) { product { id title } userErrors { field message } } }', { id: `gid://shopify/Product/${p.id}` });
    expect(body.extensions!.cost.requestedQueryCost).toBe(10);
    expect(body.extensions!.cost.actualQueryCost).toBe(10);
  });

  it('refuses a query over the single-query maximum before it runs, charging nothing', async () => {
    const b = sim.bucket();
    b.refund(10_000);
    const { body } = await gql(sim, '{ products(first: 250) { nodes { id variants(first: 10) { nodes { id } } } } }');
    expect(body.errors?.[0]).toMatchObject({ extensions: { code: 'MAX_COST_EXCEEDED', cost: 2 + 250 * 13, maxCost: 1000 } });
    expect(body.errors?.[0].message).toMatch(/^Query cost is 3252, which exceeds the single query max cost limit \(1000\)/);
    expect(body.extensions!.cost.throttleStatus.currentlyAvailable).toBe(2000);
  });

  it('answers THROTTLED when the bucket lacks the requested cost, and restores 100 points a second', async () => {
    const b = sim.bucket();
    b.refund(10_000);
    const q = '{ products(first: 249) { nodes { id options { name } } } }'; // 2 + 249 × 2 = 500 requested
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { body } = await gql(sim, q);
      seen.push(body.errors?.[0]?.extensions?.code === 'THROTTLED' ? 'T' : 'ok');
      if (body.errors) {
        expect(body.errors[0].message).toBe('Throttled');
        expect(body.extensions!.cost.actualQueryCost).toBeNull();
        expect(body.extensions!.cost.requestedQueryCost).toBe(500);
      }
    }
    // 12 products × 2 = 24 actual + 2 = 26 per call: the refunds keep the bucket full. Drain it to see THROTTLED.
    expect(seen.every((s) => s === 'ok')).toBe(true);
    b.drain(2000);
    const throttled = await gql(sim, q);
    expect(throttled.body.errors?.[0].extensions?.code).toBe('THROTTLED');
    now += 4_900; // 490 points back: still short of 500
    expect((await gql(sim, q)).body.errors?.[0].extensions?.code).toBe('THROTTLED');
    now += 100;
    const ok = await gql(sim, q);
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.extensions!.cost.throttleStatus.currentlyAvailable).toBe(500 - 26);
  });
});

describe('paging', () => {
  it('pages every product exactly once with bound cursors', async () => {
    const ids: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 20; guard++) {
      const d: { products: { nodes: { id: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = await data(sim, 'query($after: String) { products(first: 5, after: $after, sortKey: ID) { nodes { id } pageInfo { hasNextPage endCursor } } }', { after });
      ids.push(...d.products.nodes.map((n) => n.id));
      if (!d.products.pageInfo.hasNextPage) break;
      after = d.products.pageInfo.endCursor;
    }
    expect(ids).toEqual([...sim.state.products.keys()].sort((a, b) => a - b).map((id) => `gid://shopify/Product/${id}`));
  });

  it('refuses a cursor issued for another query (other sort key or filter, other connection)', async () => {
    const d = await data(sim, '{ products(first: 2, sortKey: ID) { pageInfo { endCursor } } }');
    const cursor = d.products.pageInfo.endCursor as string;
    for (const q of [
      'query($c: String) { products(first: 2, after: $c, sortKey: TITLE) { nodes { id } } }',
      'query($c: String) { products(first: 2, after: $c, sortKey: ID, query: "status:active") { nodes { id } } }',
      'query($c: String) { orders(first: 2, after: $c) { nodes { id } } }',
    ]) {
      const { body } = await gql(sim, q, { c: cursor });
      expect(body.errors?.[0]?.message ?? JSON.stringify(body).slice(0, 300), q).toMatch(/^Invalid cursor/);
    }
    // The same query (the schema's default sort key is ID, so leaving it out is the same query) takes it.
    for (const q of ['query($c: String) { products(first: 2, after: $c, sortKey: ID) { nodes { id } } }', 'query($c: String) { products(first: 7, after: $c) { nodes { id } } }']) {
      expect((await gql(sim, q, { c: cursor })).body.errors, q).toBeUndefined();
    }
  });
});

describe('search', () => {
  it('sees an update through updated_at filters only once the index caught up (search lag)', async () => {
    const p = [...sim.state.products.values()][3];
    const since = new Date(now).toISOString();
    await data(sim, 'mutation($id: ID!) { productUpdate(product: { id: $id, title: "Renamed" }) { product { updatedAt } userErrors { message } } }', { id: `gid://shopify/Product/${p.id}` });
    const q = `{ products(first: 50, query: "updated_at:>='${since}'", sortKey: UPDATED_AT) { nodes { id title } } }`;
    expect((await data(sim, q)).products.nodes).toEqual([]);
    // the record itself is current at once
    expect((await data(sim, `{ product(id: "gid://shopify/Product/${p.id}") { title } }`)).product.title).toBe('Renamed');
    now += 5_000;
    expect((await data(sim, q)).products.nodes).toEqual([{ id: `gid://shopify/Product/${p.id}`, title: 'Renamed' }]);
  });

  it('does not find a record created less than the lag ago through updated_at filters', async () => {
    const since = new Date(now).toISOString();
    const o = sim.state.addOrder({ lines: [{ sku: 'NEW-1', title: 'New', quantity: 1, unitPrice: 100 }] });
    const q = `{ orders(first: 5, query: "updated_at:>='${since}'") { nodes { id } } }`;
    expect((await data(sim, q)).orders.nodes).toEqual([]);
    now += 5_000;
    expect((await data(sim, q)).orders.nodes).toEqual([{ id: `gid://shopify/Order/${o.id}` }]);
  });

  it('filters by sku over variants and ignores unknown filter fields', async () => {
    const v = [...sim.state.variants.values()][4];
    const d = await data(sim, `{ products(first: 5, query: "sku:${v.sku} flavour:none") { nodes { id } } }`);
    expect(d.products.nodes).toEqual([{ id: `gid://shopify/Product/${v.productId}` }]);
  });
});

describe('orders', () => {
  it('hides orders older than 60 days from an app without read_all_orders', async () => {
    const old = sim.state.addOrder({ lines: [{ sku: 'OLD-1', title: 'Old', quantity: 1, unitPrice: 100 }] }, now - 90 * 86_400_000);
    const id = `gid://shopify/Order/${old.id}`;
    const q = `{ order(id: "${id}") { id } orders(first: 250, query: "id:${old.id}") { nodes { id } } }`;
    const plain = await data(sim, q);
    expect(plain).toEqual({ order: null, orders: { nodes: [] } });
    const all = sim.addApp(['read_orders', 'read_all_orders']);
    const { body } = await gql(sim, q, undefined, all.accessToken);
    expect(body.data).toEqual({ order: { id }, orders: { nodes: [{ id }] } });
  });

  it('answers MoneyBag amounts as exact decimal strings', async () => {
    const o = sim.state.addOrder({
      lines: [{ sku: 'M-1', title: 'Penny item', quantity: 3, unitPrice: 1999, discount: 1, taxLines: [{ title: 'VAT', rate: 0.19, price: 1139 }] }],
      shippingLines: [{ title: 'Express', price: 1 }],
    });
    const d = await data(sim, `{ order(id: "gid://shopify/Order/${o.id}") { subtotalPriceSet { shopMoney { amount currencyCode } } totalTaxSet { shopMoney { amount } } totalShippingPriceSet { shopMoney { amount } } totalDiscountsSet { shopMoney { amount } } totalPriceSet { shopMoney { amount } presentmentMoney { amount } } lineItems(first: 5) { nodes { originalUnitPriceSet { shopMoney { amount } } taxLines { rate priceSet { shopMoney { amount } } } } } } }`);
    expect(d.order.subtotalPriceSet.shopMoney).toEqual({ amount: '59.96', currencyCode: 'USD' });
    expect(d.order.totalTaxSet.shopMoney.amount).toBe('11.39');
    expect(d.order.totalShippingPriceSet.shopMoney.amount).toBe('0.01');
    expect(d.order.totalDiscountsSet.shopMoney.amount).toBe('0.01');
    expect(d.order.totalPriceSet).toEqual({ shopMoney: { amount: '71.36' }, presentmentMoney: { amount: '71.36' } });
    expect(d.order.lineItems.nodes[0]).toEqual({ originalUnitPriceSet: { shopMoney: { amount: '19.99' } }, taxLines: [{ rate: 0.19, priceSet: { shopMoney: { amount: '11.39' } } }] });
    expect(cents('71.36')).toBe(7136);
  });

  it('reads records by global id through node and nodes', async () => {
    const p = [...sim.state.products.values()][0];
    const v = sim.state.variants.get(p.variantIds[0])!;
    const d = await data(sim, `{ nodes(ids: ["gid://shopify/Product/${p.id}", "gid://shopify/ProductVariant/${v.id}", "gid://shopify/Product/999999"]) { __typename id ... on ProductVariant { sku } } }`);
    expect(d.nodes).toEqual([{ __typename: 'Product', id: `gid://shopify/Product/${p.id}` }, { __typename: 'ProductVariant', id: `gid://shopify/ProductVariant/${v.id}`, sku: v.sku }, null]);
  });
});

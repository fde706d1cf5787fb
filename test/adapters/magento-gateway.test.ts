// Magento through the gateway: a connection made over POST /v1/connections at the simulator, pulled by the
// sync engine, and every seeded product (with a configurable's variants), order, shipment and customer
// found over REST and GraphQL with the simulator's values. Wrong credentials are refused at creation.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { magentoAdapter } from '../../src/adapters/magento/index.ts';
import { startGateway, type TestGateway } from '../support/app.ts';
import { json, listAll, requestSync, waitForPulls } from '../support/sync-harness.ts';
import { startMagentoSim, type MagentoSim } from '../sim/magento/index.ts';

const ENTITIES = ['products', 'inventory', 'orders', 'shipments', 'customers', 'categories'];
const money = (n: number) => (Math.round(n * 100) / 100).toFixed(2);

let sim: MagentoSim;
let gw: TestGateway;
let id: string;

beforeAll(async () => {
  sim = await startMagentoSim({ seed: { simples: 30, configurables: 4, orders: 45, customers: 9, categories: 5 } });
  gw = await startGateway({ adapters: [magentoAdapter] });
  gw.tdb.pool.on('error', () => undefined);
  gw.tdb.pool.on('connect', (client) => void client.on('error', () => undefined));
  const res = await gw.call('/v1/connections', {
    method: 'POST',
    body: JSON.stringify({
      channel: 'magento',
      name: 'Sim store',
      settings: { base_url: sim.url, store_code: 'default', page_size: 20, rate_per_sec: 200, burst: 50 },
      credentials: { type: 'oauth1', ...sim.credentials.oauth1 },
    }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  id = ((await res.json()) as { id: string }).id;
  await gw.engine.startWorkers(2);
}, 30_000);

afterAll(async () => {
  await sim?.stop();
  await gw?.close();
});

const gql = async (query: string, variables: Record<string, unknown> = {}) => {
  const body = await json(gw.call('/graphql', { method: 'POST', body: JSON.stringify({ query, variables }) }));
  expect(body.errors).toBeUndefined();
  return body.data;
};

describe('Magento through the gateway', () => {
  test('wrong credentials are refused at creation with a clear error, and nothing is stored', async () => {
    const before = (await listAll(gw, '/v1/connections')).length;
    const res = await gw.call('/v1/connections', {
      method: 'POST',
      body: JSON.stringify({ channel: 'magento', name: 'Wrong', settings: { base_url: sim.url }, credentials: { type: 'admin', username: 'admin', password: 'not-the-password' } }),
    });
    expect(res.status).toBe(422);
    const p = await res.json();
    expect(p.type).toContain('auth_failed');
    expect(p.detail).toMatch(/admin username or password/);
    expect((await listAll(gw, '/v1/connections')).length).toBe(before);
  });

  test('a pull stores every seeded record; REST shows them with the simulator values', async () => {
    // Shipments are stored against their orders: the engine pulls entities independently, so orders go
    // first here, then a full pass of shipments (one pulled before its order was a dead letter until then).
    const first = ENTITIES.filter((e) => e !== 'shipments');
    await waitForPulls(gw, id, await requestSync(gw, id, { entities: first }), first, 40_000);
    const s = await waitForPulls(gw, id, await requestSync(gw, id, { entities: ['shipments'], full: true }), ['shipments'], 40_000);
    expect(s.open_dead_letters).toBe(0);

    const products = await listAll(gw, `/v1/products?connection_id=${id}`);
    expect(products.map((p) => p.external_id).sort()).toEqual(sim.state.products.map((p) => p.sku).sort());
    for (const p of products) {
      const up = sim.state.product(p.external_id)!;
      expect({ title: p.title, type: p.product_type, status: p.status }, p.external_id).toEqual({ title: up.name, type: up.type_id, status: up.status === 1 ? 'active' : 'inactive' });
      if (up.type_id === 'configurable') {
        const children = up.children.map((c) => sim.state.productsById.get(c)!);
        expect(p.variants.map((v: { sku: string }) => v.sku).sort()).toEqual(children.map((c) => c.sku).sort());
        for (const v of p.variants) {
          const child = sim.state.product(v.sku)!;
          expect(v.prices[0].price.amount).toBe(money(child.price));
          expect(Object.keys(v.options).sort()).toEqual(['Color', 'Size']);
        }
      } else {
        expect(p.variants).toHaveLength(1);
        expect(p.prices[0].price).toEqual({ amount: money(up.price), currency: 'USD' });
      }
    }

    const orders = await listAll(gw, `/v1/orders?connection_id=${id}`);
    expect(orders.map((o) => o.external_id).sort()).toEqual(sim.state.orders.map((o) => String(o.entity_id)).sort());
    for (const o of orders) {
      const up = sim.state.ordersById.get(Number(o.external_id))!;
      expect(
        { number: o.order_number, status: o.channel_status, currency: o.currency, total: o.totals.total.amount, lines: o.lines.length, email: o.customer.email },
        `order ${o.external_id}`,
      ).toEqual({ number: up.increment_id, status: up.status, currency: up.currency, total: money(up.grand_total), lines: up.items.filter((i) => i.parent_item_id === null).length, email: up.customer_email });
      expect(o.shipping_address?.city ?? null).toBe(up.shipping?.city ?? null);
    }

    const shipments = await listAll(gw, `/v1/shipments?connection_id=${id}`);
    expect(shipments.length).toBe(sim.state.shipments.length);
    for (const sh of shipments) {
      const up = sim.state.shipments.find((x) => String(x.entity_id) === sh.external_id)!;
      expect(sh.tracking_number ?? null).toBe(up.tracks[0]?.track_number ?? null);
      const order = orders.find((o) => o.external_id === String(up.order_id))!;
      expect(sh.order_id).toBe(order.id);
    }

    const customers = await listAll(gw, `/v1/customers?connection_id=${id}`);
    expect(customers.map((c) => [c.external_id, c.email]).sort()).toEqual(sim.state.customers.map((c) => [String(c.id), c.email]).sort());

    const levels = await listAll(gw, `/v1/inventory?connection_id=${id}`);
    expect(levels.length).toBe(sim.state.sourceItems.size);
    for (const l of levels) expect(l.available, l.sku).toBe(Math.round(sim.state.salable(l.sku, 1)));
    expect(sim.violations).toEqual([]);
    // Every request the adapter sent names a path and method of the admin schema.
    expect(sim.requests.filter((r) => r.template === null).map((r) => `${r.method} ${r.path}`)).toEqual([]);
  }, 60_000);

  test('GraphQL finds a configurable with its variants and an order with its shipments', async () => {
    const parent = sim.state.products.find((p) => p.type_id === 'configurable')!;
    const data = await gql('query($sku: String) { products(filter: { sku: $sku }) { nodes { external_id title variants { sku options prices { price { amount currency } } } } } }', { sku: parent.sku });
    const node = data.products.nodes.find((n: { external_id: string }) => n.external_id === parent.sku);
    expect(node.title).toBe(parent.name);
    expect(node.variants.map((v: { sku: string }) => v.sku).sort()).toEqual(parent.children.map((c) => sim.state.productsById.get(c)!.sku).sort());

    const shipped = sim.state.shipments[0]!;
    const order = sim.state.ordersById.get(shipped.order_id)!;
    const orders = await gql('{ orders(first: 100) { nodes { external_id order_number totals { total { amount } } lines { sku quantity } shipments { external_id tracking_number } } } }');
    const o = orders.orders.nodes.find((n: { external_id: string }) => n.external_id === String(order.entity_id));
    expect(o.order_number).toBe(order.increment_id);
    expect(o.totals.total.amount).toBe(money(order.grand_total));
    expect(o.shipments.map((s: { external_id: string }) => s.external_id)).toContain(String(shipped.entity_id));
    const customers = await gql('{ customers(first: 100) { nodes { external_id email } } }');
    expect(customers.customers.nodes.length).toBe(sim.state.customers.length);
  });
});

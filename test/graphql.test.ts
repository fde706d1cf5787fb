// The GraphQL surface through the real app: values of every query, keyset paging, the number of SQL
// queries behind a nested page, tenant isolation on every query and link, limits, errors and auth.
import { buildSchema, getIntrospectionQuery, isObjectType, type GraphQLObjectType } from 'graphql';
import { Kysely, PostgresDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { z } from 'zod';
import { createApp } from '../src/api/app.ts';
import { KeyCache } from '../src/api/auth.ts';
import { AdapterRegistry } from '../src/adapters/registry.ts';
import * as model from '../src/core/model/index.ts';
import type { CategoryInput } from '../src/core/model/index.ts';
import { createGraphqlServer } from '../src/graphql/index.ts';
import { typeDefs } from '../src/graphql/schema.ts';
import { createLogger } from '../src/log.ts';
import { upsertCategories, upsertProducts } from '../src/store/catalog.ts';
import { createDb, createPool } from '../src/store/db.ts';
import { upsertInventory } from '../src/store/inventory.ts';
import { upsertCustomers, upsertOrders, upsertShipments, type ConnectionRef } from '../src/store/orders.ts';
import type { Database } from '../src/store/schema.ts';
import { startGateway, type TenantHandle, type TestGateway } from './support/app.ts';
import { customerInput, inventoryInput, orderInput, productInput, seedConnection, shipmentInput, testBox } from './support/seed.ts';
import { scriptedAdapter } from './support/test-adapter.ts';

interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [k: string]: unknown };
}
interface GqlResult<T> {
  status: number;
  data: T | null | undefined;
  errors: GqlError[] | undefined;
}
interface Money {
  amount: string;
  currency: string;
}
interface Page<T> {
  edges: { cursor: string; node: T }[];
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const ORDERS_A = 300;
let gw: TestGateway;
let conA: ConnectionRef;
let conB: ConnectionRef;
/** external id -> store id, per tenant */
const idsA = { order: new Map<string, string>(), product: new Map<string, string>(), customer: new Map<string, string>(), shipment: new Map<string, string>(), category: new Map<string, string>() };
const idsB = { order: new Map<string, string>(), product: new Map<string, string>(), customer: new Map<string, string>(), shipment: new Map<string, string>() };

async function gql<T>(query: string, variables?: Record<string, unknown>, as?: TenantHandle | null): Promise<GqlResult<T>> {
  const res = await gw.call('/graphql', {
    method: 'POST',
    body: JSON.stringify({ query, variables }),
    headers: { accept: 'application/json' },
    as,
  });
  const body = (await res.json()) as { data?: T | null; errors?: GqlError[] };
  return { status: res.status, data: body.data, errors: body.errors };
}

/** The data of a query that must succeed. */
async function ok<T>(query: string, variables?: Record<string, unknown>, as?: TenantHandle): Promise<T> {
  const r = await gql<T>(query, variables, as);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  expect(r.status).toBe(200);
  return r.data as T;
}

const idsOf = (m: Map<string, { id: string; inserted: boolean }>) => new Map([...m].map(([k, v]) => [k, v.id]));

function categoryInput(i: number, parent?: string): CategoryInput {
  const at = new Date(Date.parse('2026-01-01T00:00:00Z') + i * 1000).toISOString();
  return { external_id: `CAT-${i}`, name: `Category ${i}`, parent_external_id: parent ?? null, path: parent ? ['Root', `Category ${i}`] : [`Category ${i}`], position: i, is_active: true, created_at: at, updated_at: at };
}

beforeAll(async () => {
  gw = await startGateway();
  const db = gw.tdb.db;
  const ca = await seedConnection(db, gw.a.id, 'scripted', 'Shop A');
  const cb = await seedConnection(db, gw.b.id, 'scripted', 'Shop B');
  conA = { tenantId: gw.a.id, connectionId: ca.id, channel: 'scripted' };
  conB = { tenantId: gw.b.id, connectionId: cb.id, channel: 'scripted' };

  // Tenant a: 100 single-variant products (SKU-0..99) plus one with three variants, stock at two
  // locations, 50 customers, 300 orders of 3 lines, a shipment for every fifth order, two categories.
  const products = await upsertProducts(db, conA, [...Array.from({ length: 100 }, (_, i) => productInput(i)), productInput(500, 3)]);
  idsA.product = idsOf(products.written);
  await upsertInventory(db, conA, [...Array.from({ length: 100 }, (_, i) => inventoryInput(i)), ...Array.from({ length: 100 }, (_, i) => inventoryInput(i, 'WH2'))]);
  idsA.customer = idsOf((await upsertCustomers(db, conA, Array.from({ length: 50 }, (_, i) => customerInput(i)))).written);
  idsA.order = idsOf((await upsertOrders(db, conA, Array.from({ length: ORDERS_A }, (_, i) => orderInput(i)))).written);
  idsA.shipment = idsOf((await upsertShipments(db, conA, Array.from({ length: ORDERS_A / 5 }, (_, k) => shipmentInput(k * 5)))).written);
  idsA.category = idsOf((await upsertCategories(db, conA, [categoryInput(1), categoryInput(2, 'CAT-1')])).written);

  // Tenant b: the same external ids and SKUs on its own connection, with different values.
  const pb = productInput(1);
  idsB.product = idsOf((await upsertProducts(db, conB, [{ ...pb, title: 'B product 1' }])).written);
  await upsertInventory(db, conB, [{ ...inventoryInput(1), on_hand: 999, available: 998 }]);
  idsB.customer = idsOf((await upsertCustomers(db, conB, [customerInput(1)])).written);
  idsB.order = idsOf((await upsertOrders(db, conB, [orderInput(1, { customerExternalId: 'C-1' }), orderInput(2), orderInput(3)])).written);
  idsB.shipment = idsOf((await upsertShipments(db, conB, [shipmentInput(1)])).written);
});
afterAll(async () => gw?.close());

const ORDER_TREE = /* GraphQL */ `
  fragment OrderTree on Order {
    id order_number status channel_status fulfillment_channel currency connection_id channel external_id
    created_at placed_at
    totals { subtotal { amount currency } total { amount currency } }
    shipping_address { city country }
    connection { id name }
    customer { customer_id email name record { id external_id email first_name addresses { city } } }
    lines {
      id sku quantity unit_price { amount currency } total { amount currency } product_id variant_id
      product { id title variants { id sku inventory { sku location_id on_hand reserved available connection_id } } }
      variant { id sku }
    }
    shipments { id carrier tracking_number order_id lines { sku quantity order_line_id } }
  }`;

interface OrderTree {
  id: string;
  order_number: string;
  status: string;
  channel_status: string;
  fulfillment_channel: string;
  currency: string;
  connection_id: string;
  channel: string;
  external_id: string;
  created_at: string;
  placed_at: string;
  totals: { subtotal: Money; total: Money };
  shipping_address: { city: string; country: string };
  connection: { id: string; name: string } | null;
  customer: { customer_id: string | null; email: string; name: string; record: { id: string; external_id: string; email: string; first_name: string; addresses: { city: string }[] } | null };
  lines: {
    id: string;
    sku: string;
    quantity: number;
    unit_price: Money;
    total: Money;
    product_id: string | null;
    variant_id: string | null;
    product: { id: string; title: string; variants: { id: string; sku: string; inventory: { sku: string; location_id: string; on_hand: number; reserved: number; available: number; connection_id: string }[] }[] } | null;
    variant: { id: string; sku: string } | null;
  }[];
  shipments: { id: string; carrier: string; tracking_number: string; order_id: string; lines: { sku: string; quantity: number; order_line_id: string | null }[] }[];
}

describe('queries return the stored values', () => {
  test('order(id) resolves lines -> product -> variants -> inventory, shipments and the customer record', async () => {
    const id = idsA.order.get('EXT-5')!;
    const { order } = await ok<{ order: OrderTree }>(`query ($id: ID!) { order(id: $id) { ...OrderTree } } ${ORDER_TREE}`, { id });
    expect(order).toMatchObject({
      id,
      order_number: '100005',
      status: 'shipped',
      channel_status: 'complete',
      fulfillment_channel: 'merchant',
      currency: 'EUR',
      connection_id: conA.connectionId,
      channel: 'scripted',
      external_id: 'EXT-5',
      created_at: '2026-01-01T00:00:05.000Z',
      placed_at: '2026-01-01T00:00:05.000Z',
      totals: { subtotal: { amount: '30.00', currency: 'EUR' }, total: { amount: '34.90', currency: 'EUR' } },
      shipping_address: { city: 'Berlin', country: 'DE' },
      connection: { id: conA.connectionId, name: 'Shop A' },
      customer: { customer_id: idsA.customer.get('C-5'), email: 'buyer5@example.com', name: 'Buyer 5', record: { id: idsA.customer.get('C-5'), external_id: 'C-5', email: 'customer5@example.com', first_name: 'First5', addresses: [{ city: 'Berlin' }] } },
    });
    expect(order.lines.map((l) => l.sku)).toEqual(['SKU-5', 'SKU-6', 'SKU-7']);
    const line = order.lines[0];
    expect(line.unit_price).toEqual({ amount: '10.00', currency: 'EUR' });
    expect(line.product).toMatchObject({ id: idsA.product.get('P-5'), title: 'Product 5' });
    expect(line.variant?.sku).toBe('SKU-5');
    expect(line.product?.variants).toHaveLength(1);
    const stock = line.product!.variants[0].inventory.map((l) => [l.location_id, l.on_hand, l.reserved, l.available, l.connection_id]).sort();
    expect(stock).toEqual([
      ['WH2', 15, 1, 14, conA.connectionId],
      ['default', 15, 1, 14, conA.connectionId],
    ]);
    expect(order.shipments).toHaveLength(1);
    expect(order.shipments[0]).toMatchObject({ id: idsA.shipment.get('S-5-0'), carrier: 'DHL', tracking_number: '0034043450', order_id: id, lines: [{ sku: 'SKU-5', quantity: 1, order_line_id: line.id }] });
  });

  test('orders lists newest first by default, with filters mirroring REST', async () => {
    const all = await ok<{ orders: Page<{ order_number: string }> }>(`{ orders(first: 3) { nodes { order_number } pageInfo { hasNextPage endCursor } } }`);
    expect(all.orders.nodes.map((o) => o.order_number)).toEqual(['10000299', '10000298', '10000297']);
    expect(all.orders.pageInfo.hasNextPage).toBe(true);

    const asc = await ok<{ orders: Page<{ order_number: string }> }>(`{ orders(first: 2, sort: created_at_asc) { nodes { order_number } } }`);
    expect(asc.orders.nodes.map((o) => o.order_number)).toEqual(['100000', '100001']);

    const shipped = await ok<{ orders: Page<{ status: string }> }>(`{ orders(first: 250, filter: { status: shipped }) { nodes { status } } }`);
    expect(shipped.orders.nodes).toHaveLength(ORDERS_A / 5);
    expect(new Set(shipped.orders.nodes.map((o) => o.status))).toEqual(new Set(['shipped']));

    const bySku = await ok<{ orders: Page<{ external_id: string }> }>(`{ orders(first: 250, filter: { sku: "SKU-0", created_to: "2026-01-01T00:01:40Z" }) { nodes { external_id } } }`);
    expect(bySku.orders.nodes.map((o) => o.external_id).sort()).toEqual(['EXT-0', 'EXT-98', 'EXT-99']);

    const window = await ok<{ orders: Page<{ external_id: string }> }>(
      `query ($from: DateTime, $to: DateTime) { orders(filter: { updated_from: $from, updated_to: $to, connection_id: "${conA.connectionId}", channel: "scripted" }) { nodes { external_id } } }`,
      { from: '2026-01-01T00:00:10Z', to: '2026-01-01T00:00:13Z' },
    );
    expect(window.orders.nodes.map((o) => o.external_id)).toEqual(['EXT-12', 'EXT-11', 'EXT-10']);

    const byCustomer = await ok<{ orders: Page<{ external_id: string }> }>(`{ orders(first: 250, filter: { customer_id: "${idsA.customer.get('C-7')}" }) { nodes { external_id } } }`);
    expect(byCustomer.orders.nodes.map((o) => o.external_id).sort()).toEqual(['EXT-107', 'EXT-157', 'EXT-207', 'EXT-257', 'EXT-57', 'EXT-7']);
  });

  test('products and product(id) carry variants, identifiers, attributes, images and prices', async () => {
    const id = idsA.product.get('P-500')!;
    const { product } = await ok<{ product: Record<string, unknown> & { variants: { sku: string; options: unknown; product: { id: string } | null }[] } }>(
      `query ($id: ID!) { product(id: $id) {
        id title description status product_type brand external_id
        options { name values } identifiers { sku ean } attributes images { url position roles alt } category_ids
        prices { connection_id price { amount currency } sale_price { amount } }
        variants { sku position options identifiers { sku } weight { value } product { id } }
      } }`,
      { id },
    );
    expect(product).toMatchObject({
      id,
      title: 'Product 500',
      description: 'Description of product 500',
      status: 'active',
      product_type: 'SHIRT',
      brand: 'Acme',
      external_id: 'P-500',
      options: [{ name: 'size', values: ['S0', 'S1', 'S2'] }],
      identifiers: { sku: 'PARENT-500', ean: null },
      attributes: { material: 'cotton' },
      images: [{ url: 'https://img.example/500.jpg', position: 0, roles: ['main'], alt: null }],
      category_ids: [],
      prices: [{ connection_id: null, price: { amount: '10.00', currency: 'EUR' }, sale_price: null }],
    });
    expect(product.variants.map((v) => [v.sku, v.options, v.product?.id])).toEqual([
      ['SKU-500-0', { size: 'S0' }, id],
      ['SKU-500-1', { size: 'S1' }, id],
      ['SKU-500-2', { size: 'S2' }, id],
    ]);

    const list = await ok<{ products: Page<{ external_id: string; variants: { sku: string; inventory: { available: number }[] }[] }> }>(
      `{ products(first: 2, filter: { sku: "SKU-7" }) { nodes { external_id variants { sku inventory { available } } } } }`,
    );
    expect(list.products.nodes).toEqual([{ external_id: 'P-7', variants: [{ sku: 'SKU-7', inventory: [{ available: 16 }, { available: 16 }] }] }]);
  });

  test('customers, shipments, inventory, categories and connections', async () => {
    const data = await ok<{
      customers: Page<{ external_id: string; email: string; group: string; connection: { name: string } }>;
      shipments: Page<{ external_id: string; tracking_number: string; order: { external_id: string } }>;
      inventory: Page<{ sku: string; location_id: string; on_hand: number; available: number; fulfillment_channel: string }>;
      categories: Page<{ external_id: string; path: string[]; parent: { external_id: string } | null }>;
      connections: Page<{ id: string; name: string; channel: string; status: string; settings: unknown; has_credentials: boolean; store_key: string }>;
    }>(`{
      customers(first: 1, filter: { email: "CUSTOMER3@example.com" }) { nodes { external_id email group connection { name } } }
      shipments(first: 2, sort: created_at_asc) { nodes { external_id tracking_number order { external_id } } }
      inventory(first: 3, filter: { sku: "SKU-4" }) { nodes { sku location_id on_hand available fulfillment_channel } }
      categories(sort: created_at_asc) { nodes { external_id path parent { external_id } } }
      connections { nodes { id name channel status settings has_credentials store_key } }
    }`);
    expect(data.customers.nodes).toEqual([{ external_id: 'C-3', email: 'customer3@example.com', group: 'General', connection: { name: 'Shop A' } }]);
    expect(data.shipments.nodes).toEqual([
      { external_id: 'S-0-0', tracking_number: '0034043400', order: { external_id: 'EXT-0' } },
      { external_id: 'S-5-0', tracking_number: '0034043450', order: { external_id: 'EXT-5' } },
    ]);
    expect(data.inventory.nodes.map((l) => [l.sku, l.location_id, l.on_hand, l.available, l.fulfillment_channel]).sort()).toEqual([
      ['SKU-4', 'WH2', 14, 13, 'merchant'],
      ['SKU-4', 'default', 14, 13, 'merchant'],
    ]);
    expect(data.categories.nodes).toEqual([
      { external_id: 'CAT-1', path: ['Category 1'], parent: null },
      { external_id: 'CAT-2', path: ['Root', 'Category 2'], parent: { external_id: 'CAT-1' } },
    ]);
    expect(data.connections.nodes).toHaveLength(1);
    expect(data.connections.nodes[0]).toMatchObject({ id: conA.connectionId, name: 'Shop A', channel: 'scripted', status: 'active', settings: { base_url: 'https://shop.example' }, has_credentials: true });

    const single = await ok<{ customer: { external_id: string }; shipment: { external_id: string }; category: { name: string }; connection: { name: string } }>(
      `query ($c: ID!, $s: ID!, $k: ID!, $n: ID!) { customer(id: $c) { external_id } shipment(id: $s) { external_id } category(id: $k) { name } connection(id: $n) { name } }`,
      { c: idsA.customer.get('C-9'), s: idsA.shipment.get('S-10-0'), k: idsA.category.get('CAT-2'), n: conA.connectionId },
    );
    expect(single).toEqual({ customer: { external_id: 'C-9' }, shipment: { external_id: 'S-10-0' }, category: { name: 'Category 2' }, connection: { name: 'Shop A' } });
  });

  test('neither credentials nor raw payloads are in the schema or in any answer', async () => {
    const schema = buildSchema(typeDefs);
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type)) continue;
      const fields = Object.keys(type.getFields());
      expect(fields).not.toContain('raw');
      expect(fields).not.toContain('credentials');
      expect(fields).not.toContain('credentials_enc');
    }
    const res = await gw.call('/graphql', { method: 'POST', body: JSON.stringify({ query: '{ connections { nodes { id name settings has_credentials store_key last_error } } }' }) });
    expect(await res.text()).not.toContain('secret-value');
  });

  test('object types carry every field of their canonical zod schema', () => {
    const schema = buildSchema(typeDefs);
    const pairs: [string, z.ZodObject][] = [
      ['Order', model.Order], ['OrderLine', model.OrderLine], ['Money', model.Money], ['Address', model.Address], ['OrderTotals', model.OrderTotals],
      ['CustomerRef', model.CustomerRef], ['Product', model.Product], ['Variant', model.Variant], ['Price', model.Price], ['Image', model.Image],
      ['ProductOption', model.ProductOption], ['Identifiers', model.Identifiers], ['InventoryLevel', model.InventoryLevel], ['Shipment', model.Shipment],
      ['ShipmentLine', model.ShipmentLine], ['Customer', model.Customer], ['Category', model.Category], ['Connection', model.Connection],
    ];
    for (const [name, zod] of pairs) {
      const fields = Object.keys((schema.getType(name) as GraphQLObjectType).getFields());
      expect({ name, missing: Object.keys(zod.shape).filter((k) => !fields.includes(k)) }).toEqual({ name, missing: [] });
    }
  });
});

describe('paging', () => {
  test('first/after walks every order once, with no gap and no repeat', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const r: { orders: Page<{ id: string }> } = await ok(`query ($after: String) { orders(first: 70, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`, { after });
      pages++;
      const { edges, pageInfo } = r.orders;
      seen.push(...edges.map((e) => e.node.id));
      expect(pageInfo.endCursor).toBe(edges[edges.length - 1].cursor);
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    expect(pages).toBe(Math.ceil(ORDERS_A / 70));
    expect(seen).toHaveLength(ORDERS_A);
    expect(new Set(seen)).toEqual(new Set(idsA.order.values()));
  });

  test("any edge's cursor resumes right after that edge, in both sorts", async () => {
    for (const sort of ['created_at_desc', 'updated_at_asc']) {
      const first: { orders: Page<{ id: string }> } = await ok(`{ orders(first: 20, sort: ${sort}) { edges { cursor node { id } } } }`);
      const resumed: { orders: Page<{ id: string }> } = await ok(`query ($a: String) { orders(first: 10, after: $a, sort: ${sort}) { nodes { id } } }`, { a: first.orders.edges[9].cursor });
      expect(resumed.orders.nodes.map((n) => n.id)).toEqual(first.orders.edges.slice(10).map((e) => e.node.id));
    }
  });

  test('inventory and products page by keyset too', async () => {
    const walk = async (field: 'inventory' | 'products', total: number) => {
      const ids = new Set<string>();
      let after: string | null = null;
      do {
        const r: Record<string, Page<{ id: string }>> = await ok(`query ($a: String) { ${field}(first: 33, after: $a) { nodes { id } pageInfo { hasNextPage endCursor } } }`, { a: after });
        for (const n of r[field].nodes) {
          expect(ids.has(n.id)).toBe(false);
          ids.add(n.id);
        }
        after = r[field].pageInfo.hasNextPage ? r[field].pageInfo.endCursor : null;
      } while (after);
      expect(ids.size).toBe(total);
    };
    await walk('inventory', 200);
    await walk('products', 101);
  });

  test('first outside 1..250, a foreign cursor and a cursor of another sort are validation errors', async () => {
    const big = await gql(`{ orders(first: 251) { nodes { id } } }`);
    expect(big.errors?.[0]).toMatchObject({ message: 'first must be between 1 and 250', extensions: { code: 'VALIDATION' }, path: ['orders'] });
    const zero = await gql(`{ products(first: 0) { nodes { id } } }`);
    expect(zero.errors?.[0].extensions?.code).toBe('VALIDATION');
    const junk = await gql(`{ orders(after: "not-a-cursor") { nodes { id } } }`);
    expect(junk.errors?.[0]).toMatchObject({ message: 'cursor is not valid for this list', extensions: { code: 'VALIDATION', errors: [{ path: 'cursor' }] } });
    const desc: { orders: Page<{ id: string }> } = await ok(`{ orders(first: 1) { pageInfo { endCursor } } }`);
    const other = await gql(`query ($a: String) { orders(after: $a, sort: updated_at_asc) { nodes { id } } }`, { a: desc.orders.pageInfo.endCursor });
    expect(other.errors?.[0].extensions?.code).toBe('VALIDATION');
    const badDate = await gql(`{ orders(filter: { created_from: "yesterday" }) { nodes { id } } }`);
    expect(badDate.errors?.[0].message).toContain('DateTime must be an ISO 8601 date-time');
  });
});

describe('SQL queries behind a nested page', () => {
  let counting: { app: ReturnType<typeof createApp>; queries: string[]; db: Kysely<Database> };
  beforeAll(async () => {
    const queries: string[] = [];
    const db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: createPool(gw.tdb.url, { max: 4 }) }),
      log: (event) => {
        if (event.level === 'query') queries.push(event.query.sql);
      },
    });
    const app = createApp({ db, box: testBox, registry: new AdapterRegistry([scriptedAdapter]), log: createLogger('silent'), allowPrivateUpstreams: true, engine: gw.engine }, { keyCache: new KeyCache(60_000) });
    counting = { app, queries, db };
  });
  afterAll(async () => counting?.db.destroy());

  async function countFor(first: number): Promise<{ count: number; orders: OrderTree[] }> {
    const request = () =>
      counting.app.request('/graphql', {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.a.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: `query ($n: Int) { orders(first: $n) { nodes { ...OrderTree } } } ${ORDER_TREE}`, variables: { n: first } }),
      });
    await request(); // warms the API key cache, so only GraphQL's own queries are counted below
    counting.queries.length = 0;
    const res = await request();
    const body = (await res.json()) as { data: { orders: Page<OrderTree> }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return { count: counting.queries.length, orders: body.data.orders.nodes };
  }

  test('a page of 100 orders with lines, products, variants, stock, shipments, customer and connection costs 8 queries, as does a page of 10', async () => {
    const ten = await countFor(10);
    const hundred = await countFor(100);
    expect(hundred.orders).toHaveLength(100);
    expect(hundred.orders.every((o) => o.lines.length === 3 && o.lines.every((l) => l.product?.variants[0].inventory.length === 2))).toBe(true);
    expect(hundred.orders.filter((o) => o.shipments.length === 1)).toHaveLength(20);
    expect(hundred.orders.every((o) => o.customer.record?.external_id === `C-${Number(o.external_id.slice(4)) % 50}`)).toBe(true);
    expect(counting.queries.every((q) => /tenant_id/.test(q))).toBe(true);
    console.info(`GraphQL SQL queries: ${ten.count} for 10 orders, ${hundred.count} for 100 orders`);
    expect(hundred.count).toBeLessThanOrEqual(8);
    expect(hundred.count).toBe(ten.count);
  });
});

describe('tenant isolation', () => {
  test('lists of tenant b hold only its own records', async () => {
    const data = await ok<{
      orders: Page<{ id: string; lines: { product: { id: string; title: string } | null }[] }>;
      products: Page<{ id: string }>;
      customers: Page<{ id: string }>;
      shipments: Page<{ id: string }>;
      inventory: Page<{ on_hand: number; connection_id: string }>;
      categories: Page<{ id: string }>;
      connections: Page<{ id: string }>;
    }>(
      `{ orders(first: 250) { nodes { id lines { product { id title } } } } products(first: 250) { nodes { id } } customers(first: 250) { nodes { id } }
         shipments(first: 250) { nodes { id } } inventory(first: 250) { nodes { on_hand connection_id } } categories { nodes { id } } connections { nodes { id } } }`,
      undefined,
      gw.b,
    );
    expect(new Set(data.orders.nodes.map((o) => o.id))).toEqual(new Set(idsB.order.values()));
    expect(data.orders.nodes.flatMap((o) => o.lines.map((l) => l.product)).filter(Boolean)).toEqual([{ id: idsB.product.get('P-1'), title: 'B product 1' }]);
    expect(data.products.nodes.map((p) => p.id)).toEqual([idsB.product.get('P-1')]);
    expect(data.customers.nodes.map((c) => c.id)).toEqual([idsB.customer.get('C-1')]);
    expect(data.shipments.nodes.map((s) => s.id)).toEqual([idsB.shipment.get('S-1-0')]);
    expect(data.inventory.nodes).toEqual([{ on_hand: 999, connection_id: conB.connectionId }]);
    expect(data.categories.nodes).toEqual([]);
    expect(data.connections.nodes.map((c) => c.id)).toEqual([conB.connectionId]);
  });

  test("tenant b asking for tenant a's records by id gets null and NOT_FOUND, exactly as for an unknown id", async () => {
    const probes: [string, string][] = [
      ['order', idsA.order.get('EXT-1')!],
      ['product', idsA.product.get('P-1')!],
      ['customer', idsA.customer.get('C-1')!],
      ['shipment', idsA.shipment.get('S-0-0')!],
      ['category', idsA.category.get('CAT-1')!],
      ['connection', conA.connectionId],
    ];
    for (const [field, id] of probes) {
      const r = await gql<Record<string, unknown>>(`query ($id: ID!) { ${field}(id: $id) { id } }`, { id }, gw.b);
      expect(r.status).toBe(200);
      expect(r.data).toEqual({ [field]: null });
      expect(r.errors).toHaveLength(1);
      expect(r.errors?.[0]).toMatchObject({ path: [field], extensions: { code: 'NOT_FOUND' } });
      expect(r.errors?.[0].message).toMatch(/ was not found$/);
      // the owner sees it
      const mine = await ok<Record<string, { id: string }>>(`query ($id: ID!) { ${field}(id: $id) { id } }`, { id });
      expect(mine[field].id).toBe(id);
    }
    const malformed = await gql(`{ order(id: "nope") { id } }`, undefined, gw.b);
    expect(malformed.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  test("filters naming tenant a's connection or customer, and tenant a's cursors, find nothing of tenant a", async () => {
    const data = await ok<{ orders: Page<{ id: string }>; products: Page<{ id: string }>; inventory: Page<{ id: string }>; byCustomer: Page<{ id: string }> }>(
      `query ($con: ID!, $cus: ID!) {
        orders(filter: { connection_id: $con }) { nodes { id } }
        products(filter: { connection_id: $con }) { nodes { id } }
        inventory(filter: { connection_id: $con }) { nodes { id } }
        byCustomer: orders(filter: { customer_id: $cus }) { nodes { id } }
      }`,
      { con: conA.connectionId, cus: idsA.customer.get('C-1') },
      gw.b,
    );
    expect(data).toEqual({ orders: { nodes: [] }, products: { nodes: [] }, inventory: { nodes: [] }, byCustomer: { nodes: [] } });

    const a: { orders: Page<{ id: string }> } = await ok(`{ orders(first: 1, sort: created_at_asc) { pageInfo { endCursor } } }`);
    const b: { orders: Page<{ id: string }> } = await ok(`query ($a: String) { orders(after: $a, sort: created_at_asc) { nodes { id } } }`, { a: a.orders.pageInfo.endCursor }, gw.b);
    expect(b.orders.nodes.every((o) => [...idsB.order.values()].includes(o.id))).toBe(true);
  });

  test('stock of the same SKU on another tenant never shows, even with all_connections', async () => {
    const read = async (as: TenantHandle) =>
      ok<{ products: Page<{ variants: { inventory: { on_hand: number }[]; everywhere: { on_hand: number }[] }[] }> }>(
        `{ products(filter: { sku: "SKU-1" }) { nodes { variants { inventory { on_hand } everywhere: inventory(all_connections: true) { on_hand } } } } }`,
        undefined,
        as,
      );
    const b = await read(gw.b);
    expect(b.products.nodes[0].variants[0]).toEqual({ inventory: [{ on_hand: 999 }], everywhere: [{ on_hand: 999 }] });
    const a = await read(gw.a);
    expect(a.products.nodes[0].variants[0].everywhere.map((l) => l.on_hand)).toEqual([11, 11]);
  });

  test("links that point at another tenant's records resolve to null, not to the record", async () => {
    // A link crossing tenants cannot be written by the sync engine; forge some to prove reads stay scoped.
    const db = gw.tdb.db;
    const orderB = idsB.order.get('EXT-2')!;
    await db.updateTable('order_lines').set({ product_id: idsA.product.get('P-2')!, variant_id: null }).where('order_id', '=', orderB).execute();
    await db.updateTable('orders').set({ customer_id: idsA.customer.get('C-2')! }).where('id', '=', orderB).execute();
    await db.updateTable('shipments').set({ order_id: idsA.order.get('EXT-1')! }).where('id', '=', idsB.shipment.get('S-1-0')!).execute();
    try {
      const r = await ok<{ order: { lines: { product_id: string; product: unknown }[]; customer: { customer_id: string; record: unknown }; shipments: unknown[] }; shipments: Page<{ order: unknown }> }>(
        `query ($id: ID!) { order(id: $id) { lines { product_id product { id title } } customer { customer_id record { id email } } shipments { id } } shipments { nodes { order { id order_number } } } }`,
        { id: orderB },
        gw.b,
      );
      expect(r.order.lines[0].product_id).toBe(idsA.product.get('P-2'));
      expect(r.order.lines.map((l) => l.product)).toEqual([null, null, null]);
      expect(r.order.customer.record).toBeNull();
      expect(r.shipments.nodes).toEqual([{ order: null }]);
    } finally {
      await db.updateTable('order_lines').set({ product_id: null }).where('order_id', '=', orderB).execute();
      await db.updateTable('orders').set({ customer_id: null }).where('id', '=', orderB).execute();
      await db.updateTable('shipments').set({ order_id: idsB.order.get('EXT-1')! }).where('id', '=', idsB.shipment.get('S-1-0')!).execute();
    }
  });
});

describe('limits and errors', () => {
  test('a query nested deeper than 10 levels is rejected before it runs', async () => {
    const r = await gql(`query ($id: ID!) { product(id: $id) { variants { product { variants { product { variants { product { variants { product { variants { sku } } } } } } } } } } }`, {
      id: idsA.product.get('P-1'),
    });
    expect(r.data).toBeUndefined();
    expect(r.errors).toHaveLength(1);
    expect(r.errors?.[0]).toMatchObject({ message: 'The query is 11 levels deep; the limit is 10. Ask for fewer nested fields.', extensions: { code: 'QUERY_TOO_DEEP', depth: 11, max_depth: 10 } });
  });

  test('depth through fragments counts too', async () => {
    const r = await gql(`
      query { shipments { nodes { ...S } } }
      fragment S on Shipment { order { shipments { order { shipments { order { lines { product { variants { sku } } } } } } } } }`);
    expect(r.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_DEEP', depth: 11 });
  });

  test('a query whose estimated size is over budget is rejected, with the cost taken from variables', async () => {
    const query = `query ($n: Int) { shipments(first: $n) { nodes { order { lines { product { variants { product { variants { inventory { sku } } } } } } } } } }`;
    const small = await gql<{ shipments: Page<unknown> }>(query, { n: 5 });
    expect(small.errors).toBeUndefined();
    expect(small.data?.shipments.nodes).toHaveLength(5);
    const big = await gql(query, { n: 250 });
    expect(big.data).toBeUndefined();
    expect(big.errors?.[0].message).toMatch(/^The query's estimated cost is \d+, over the limit of 50000/);
    expect(big.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', max_cost: 50000 });
    // the same document with small variables again: no cached verdict across requests
    expect((await gql(query, { n: 5 })).errors).toBeUndefined();
  });

  test('many aliases of a large page add up', async () => {
    const alias = (i: number) => `o${i}: orders(first: 250) { nodes { lines { product { variants { inventory { sku } } } } } }`;
    const r = await gql(`{ ${Array.from({ length: 4 }, (_, i) => alias(i)).join(' ')} }`);
    expect(r.errors?.[0].extensions?.code).toBe('QUERY_TOO_COSTLY');
  });

  test("GraphiQL's introspection query passes the limits", async () => {
    const r = await gql<{ __schema: { queryType: { name: string } } }>(getIntrospectionQuery());
    expect(r.errors).toBeUndefined();
    expect(r.data?.__schema.queryType.name).toBe('Query');
  });

  test('an unexpected failure is masked and says nothing of its cause', async () => {
    const broken = createDb(createPool(new URL('/sy_no_such_database', gw.tdb.url).toString(), { max: 1 }));
    const yoga = createGraphqlServer({ db: broken, log: createLogger('silent') });
    try {
      const res = await yoga.fetch(
        new Request('http://localhost/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ orders { nodes { id } } }' }) }),
        { tenantId: gw.a.id, log: createLogger('silent') },
      );
      const text = await res.text();
      const body = JSON.parse(text) as { errors: GqlError[] };
      expect(body.errors).toEqual([expect.objectContaining({ message: 'Unexpected error.', extensions: expect.objectContaining({ code: 'INTERNAL_SERVER_ERROR' }) })]);
      expect(text).not.toContain('sy_no_such_database');
      expect(text).not.toContain('stack');
    } finally {
      await broken.destroy();
    }
  });
});

describe('HTTP surface', () => {
  test('a missing or invalid API key is 401, before any GraphQL runs', async () => {
    const none = await gw.call('/graphql', { method: 'POST', body: JSON.stringify({ query: '{ orders { nodes { id } } }' }), as: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    const bad = await gw.call('/graphql', { method: 'POST', body: JSON.stringify({ query: '{ orders { nodes { id } } }' }), headers: { authorization: 'Bearer sy_not_a_key' } });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { detail: string }).detail).toContain('not valid');
    // The GraphiQL page is public so a browser can open it, but a query sent by GET still needs a key.
    const page = await gw.call('/graphql', { headers: { accept: 'text/html' }, as: null });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('GraphiQL');
    const getQuery = await gw.call('/graphql?query=' + encodeURIComponent('{ orders { nodes { id } } }'), { headers: { accept: 'text/html' }, as: null });
    expect(getQuery.status).toBe(401);
  });

  test('GraphiQL is served on GET to a browser', async () => {
    const res = await gw.call('/graphql', { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('Switchyard GraphQL');
    expect(html.toLowerCase()).toContain('graphiql');
  });

  test('queries also work over GET and with X-API-Key', async () => {
    const res = await gw.call(`/graphql?query=${encodeURIComponent('{ connections { nodes { name } } }')}`, { headers: { 'x-api-key': gw.b.key, accept: 'application/json' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { connections: { nodes: [{ name: 'Shop B' }] } } });
  });

  test('other methods are 405', async () => {
    const res = await gw.call('/graphql', { method: 'DELETE' });
    expect(res.status).toBe(405);
  });
});

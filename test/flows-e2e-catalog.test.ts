// Catalog publish and price sync between the Magento and Amazon simulators, through the REST API, and the
// write API as GraphQL mutations. A Magento catalog (simple products and a configurable with Color/Size
// children) goes to Amazon in one JSON_LISTINGS_FEED: the configurable as a SHIRT parent whose children name
// it in child_parent_sku_relationship, with the profile's variation theme; a product the product type
// refuses is held back with the product, attribute and rule named; one Amazon refuses is shown with
// Amazon's issue; a later single change goes by putListingsItem, and the held-back product, once fixed in
// Magento, too. Prices of one Magento website reach the Amazon offers through the profile's rules. GraphQL
// writes (stock, a variant's title, a shipment) sent twice with one key are applied once, and the variant's
// new title reaches its Amazon child listing.
import { afterEach, describe, expect, test } from 'vitest';
import type { AmazonSim } from './sim/amazon/index.ts';
import { DEFAULT_STORES, type MagentoSim, type MagentoSimOptions } from './sim/magento/index.ts';
import type { TestGateway } from './support/app.ts';
import { startSimsWorld } from './support/sims.ts';
import { exceptions, post } from './support/flows-harness.ts';
import { json, listAll, waitFor } from './support/sync-harness.ts';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

interface Sides {
  gw: TestGateway;
  mg: MagentoSim;
  az: AmazonSim;
  magento: { id: string };
  amazon: { id: string };
}

/** Both simulators, the gateway and both connections; `prepare` edits Magento before the first pull. */
async function sides(prepare: (mg: MagentoSim) => void, magentoSettings: Record<string, unknown> = {}, mgOptions: MagentoSimOptions = {}): Promise<Sides> {
  const w = await startSimsWorld({
    magento: { ...mgOptions, seed: { simples: 5, configurables: 1, orders: 0, customers: 1, categories: 2, ...mgOptions.seed } },
    amazon: { seed: { listings: 0, orders: 0, fbaInventory: 0, seed: 3 }, feedProcessingMs: 300 },
    magentoSettings,
    // More than 3 listings in one write go by feed; the simulator's feeds finish in 300 ms.
    amazonSettings: { feed_threshold: 3, feed_poll_ms: 100 },
    prepare: (mg) => prepare(mg),
  });
  stop = w.close;
  const { gw, mg, az, magento, amazon } = w;
  await gw.engine.startWorkers(4);
  return { gw, mg, az, magento, amazon };
}

const CHILDREN = ['CFG-000001-RED-S', 'CFG-000001-BLUE-M', 'CFG-000001-GREEN-L'];

/** Clothing on Amazon: the configurable's category is a SHIRT, the rest generic PRODUCTs. */
const catalogRules = {
  categories: [{ category: '4', product_type: 'SHIRT' }],
  default_product_type: 'PRODUCT',
  attributes: [
    { from: 'field', field: 'brand', target: 'brand' },
    { from: 'constant', value: 'new_new', target: 'condition_type' },
    { from: 'attribute', source: 'gender', target: 'department' },
    { from: 'attribute', source: 'material', target: 'material' },
  ],
  variations: { theme: { Color: 'color', Size: 'size' }, theme_name: 'SIZE/COLOR' },
  // The simulator's product types have no image attribute.
  content: { images: false },
  identifiers: { match: ['ean'] },
  prices: { markup_percent: 10, rounding: 'cents_99', min: '15.00', max: '60.00' },
};

type Attr = Record<string, unknown>[];

/** A clothing catalog: simple products in category 3, the configurable (a men's shirt) in 4, all of brand Acme. */
function clothing(mg: MagentoSim): void {
  for (const p of mg.state.products) {
    if (p.type_id === 'configurable') {
      p.category_ids = [4];
      p.attrs.gender = 'mens';
    } else if (p.parent_id === null) p.category_ids = [3];
    p.attrs.brand = 'Acme';
  }
}

describe('catalog publish and prices, Magento to Amazon', () => {
  test('a Magento catalog goes to Amazon in one feed with a variation family; refused products are named; a later change goes by putListingsItem; website prices follow the rules', { timeout: 150_000 }, async () => {
    const s = await sides((mg) => {
      clothing(mg);
      // SIM-000003 has no brand, which every Amazon product type requires: held back, never sent.
      delete mg.state.product('SIM-000003')!.attrs.brand;
      // SIM-000005 has a material, which the PRODUCT type does not know: Amazon refuses it.
      mg.state.product('SIM-000005')!.attrs.material = 'cotton';
      // Website prices: the outlet website sells two SKUs cheaper or dearer than the default price, the
      // main website one SKU for less (which the outlet's price link must not pick up).
      // (Set a minute ago: the first pull reads up to Magento's safety lag before now.)
      const before = Date.now() - 60_000;
      mg.state.setWebsitePrice('SIM-000001', 'outlet', 30, before);
      mg.state.setWebsitePrice(CHILDREN[0]!, 'outlet', 10, before);
      mg.state.setWebsitePrice('SIM-000004', 'base', 20, before);
    }, { store_view_prices: ['outlet'] }, { priceScope: 'website', stores: [...DEFAULT_STORES, { code: 'outlet', name: 'Outlet Store View', website_code: 'outlet', currency: 'USD', locale: 'en_US' }] });
    const { gw, mg, az, magento, amazon } = s;
    await waitFor('Magento products pulled', async () => (await listAll(gw, `/v1/products?connection_id=${magento.id}`)).length === mg.state.products.length, 60_000);

    const profile = await post(gw, '/v1/profiles', { name: 'Magento to Amazon', rules: catalogRules });
    const link = await post(gw, '/v1/links', { name: 'publish', flow: 'catalog_publish', source_connection_id: magento.id, targets: [{ connection_id: amazon.id }], profile_id: profile.id, options: { bulk_threshold: 3, debounce_ms: 100 } });

    // One feed with every valid listing (and the one Amazon will refuse), each SKU once.
    const feed = await waitFor('the feed processed', () => [...az.state.feeds.values()].find((f) => f.processingStatus === 'DONE'), 60_000);
    await waitFor('the listings in Amazon', () => az.state.listings.size === 7, 30_000);
    expect(az.state.feeds.size).toBe(1);
    expect(feed.feedType).toBe('JSON_LISTINGS_FEED');
    const doc = JSON.parse(az.state.feedDocuments.get(feed.inputFeedDocumentId)!.content!.toString('utf8')) as { messages: { sku: string; operationType: string; productType: string; attributes: Record<string, Attr> }[] };
    const sent = doc.messages.map((m) => m.sku).sort();
    expect(sent).toEqual(['CFG-000001', ...CHILDREN, 'SIM-000001', 'SIM-000002', 'SIM-000004', 'SIM-000005'].sort());
    expect(az.requests.filter((r) => r.operation === 'putListingsItem' || r.operation === 'patchListingsItem')).toEqual([]);

    // The variation family: a SHIRT parent with the profile's theme, children that name it.
    const mp = az.marketplaceIds[0]!;
    const parent = az.state.listings.get('CFG-000001')!;
    expect(parent.productType).toBe('SHIRT');
    expect(parent.attributes.parentage_level).toEqual([{ value: 'parent', marketplace_id: mp }]);
    expect(parent.attributes.variation_theme).toEqual([{ name: 'SIZE/COLOR', marketplace_id: mp }]);
    expect(parent.attributes.purchasable_offer).toBeUndefined();
    for (const [sku, color, size] of [[CHILDREN[0], 'Red', 'S'], [CHILDREN[1], 'Blue', 'M'], [CHILDREN[2], 'Green', 'L']] as const) {
      const child = az.state.listings.get(sku)!;
      expect(child.productType, sku).toBe('SHIRT');
      expect(child.attributes.child_parent_sku_relationship).toEqual([{ child_relationship_type: 'variation', parent_sku: 'CFG-000001', marketplace_id: mp }]);
      expect(child.attributes.parentage_level).toEqual([{ value: 'child', marketplace_id: mp }]);
      expect((child.attributes.color as Attr)[0]).toMatchObject({ value: color, marketplace_id: mp });
      expect((child.attributes.size as Attr)[0]).toMatchObject({ value: size, marketplace_id: mp });
      expect((child.attributes.department as Attr)[0]).toMatchObject({ value: 'mens' });
      expect((child.attributes.externally_assigned_product_identifier as Attr)[0]).toMatchObject({ type: 'ean', value: mg.state.product(sku)!.attrs.ean });
    }
    const simple = az.state.listings.get('SIM-000001')!;
    expect(simple.productType).toBe('PRODUCT');
    expect(simple.attributes.item_name).toEqual([expect.objectContaining({ value: mg.state.product('SIM-000001')!.name, marketplace_id: mp })]);
    expect(simple.attributes.brand).toEqual([expect.objectContaining({ value: 'Acme' })]);
    expect(simple.attributes.condition_type).toEqual([{ value: 'new_new', marketplace_id: mp }]);
    expect(simple.attributes.parentage_level).toBeUndefined();

    // Held back: SIM-000003, with the product, the attribute and the rule named.
    const products = await listAll(gw, `/v1/products?connection_id=${magento.id}`);
    const idOf = (sku: string) => products.find((p) => p.external_id === sku)!.id as string;
    const invalid = (await json(gw.call(`/v1/listings?product_id=${idOf('SIM-000003')}`))).data;
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toMatchObject({ sku: 'SIM-000003', state: 'invalid' });
    const brandIssue = invalid[0].issues.find((i: { attribute?: string }) => i.attribute === 'brand');
    expect(brandIssue, JSON.stringify(invalid[0].issues)).toMatchObject({ severity: 'error', rule: 'attributes[0]' });
    expect(brandIssue.message).toContain(idOf('SIM-000003'));
    expect(brandIssue.message).toContain('brand');
    expect(az.state.listings.has('SIM-000003')).toBe(false);
    // Refused by Amazon: SIM-000005, with Amazon's own issue.
    const refused = await waitFor('the refusal recorded', async () => {
      const r = (await json(gw.call(`/v1/listings?product_id=${idOf('SIM-000005')}`))).data[0];
      return r?.state === 'rejected' ? r : undefined;
    });
    expect(refused.issues).toEqual([expect.objectContaining({ sku: 'SIM-000005', attribute: 'material', code: '90000900', severity: 'error', rule: 'attributes[3]' })]);
    expect(refused.issues[0].message).toContain("'material' is not a valid attribute");
    expect(az.state.listings.has('SIM-000005')).toBe(false);
    const held = await exceptions(gw, `kind=listing_rejected&link_id=${link.id}`);
    expect(held.map((e) => e.subject).sort()).toEqual([idOf('SIM-000003'), idOf('SIM-000005')].sort());
    // Every other listing is published.
    const all = (await json(gw.call(`/v1/listings?link_id=${link.id}`))).data as { sku: string; state: string }[];
    expect(all.filter((l) => l.state === 'published').map((l) => l.sku).sort()).toEqual(['CFG-000001', ...CHILDREN, 'SIM-000001', 'SIM-000002', 'SIM-000004'].sort());

    // A later single change, through the write API on Magento: one putListingsItem, no second feed.
    const res = await gw.call(`/v1/products/${idOf('SIM-000001')}`, { method: 'PATCH', headers: { 'idempotency-key': 'title-1' }, body: JSON.stringify({ title: 'Linen shirt, now in stock' }) });
    expect([200, 202], await res.clone().text()).toContain(res.status);
    await waitFor('Magento has the new title', () => mg.state.product('SIM-000001')!.name === 'Linen shirt, now in stock');
    await waitFor('the new title on Amazon', () => (az.state.listings.get('SIM-000001')!.attributes.item_name as Attr)[0]!.value === 'Linen shirt, now in stock', 60_000);
    expect(az.requests.filter((r) => r.operation === 'putListingsItem' && r.status === 200)).toHaveLength(1);
    expect(az.state.feeds.size).toBe(1);

    // Prices of the outlet website (its store view, chosen by the link) reach the Amazon offers by the
    // profile's rules: +10%, rounded up to .99, at least 15.00 and at most 60.00.
    expect(mg.state.priceIn(mg.state.product('SIM-000001')!, mg.state.store('default')!)).toBe(5);
    await post(gw, `/v1/connections/${amazon.id}/sync`, { entities: ['products'], full: true }, 202);
    await waitFor('the Amazon listings mirrored', async () => (await listAll(gw, `/v1/products?connection_id=${amazon.id}`)).length === 7, 60_000);
    await post(gw, '/v1/links', { name: 'outlet prices', flow: 'price_sync', source_connection_id: magento.id, targets: [{ connection_id: amazon.id }], profile_id: profile.id, options: { debounce_ms: 100, price_scope: 'outlet' } });
    const expected: Record<string, number> = {
      'SIM-000001': 33.99, // outlet 30.00 (default 5.00 would give the minimum, 15.00)
      'SIM-000002': 46.99, // no outlet price: the default 42.01
      'SIM-000004': 60, // default 116.03 capped (the main website's 20.00 is not the outlet's)
      [CHILDREN[0]!]: 15, // outlet 10.00 raised to the minimum
      [CHILDREN[1]!]: 24.99, // 21.99
      [CHILDREN[2]!]: 25.99, // 22.99
    };
    const priced = () => Object.fromEntries(Object.keys(expected).map((sku) => [sku, az.state.priceOf(sku)]));
    await waitFor(`outlet prices on Amazon (have ${JSON.stringify(priced())})`, () => Object.entries(expected).every(([sku, p]) => az.state.priceOf(sku) === p), 60_000).catch((err: unknown) => {
      throw new Error(`${String(err)}: ${JSON.stringify(priced())}`);
    });
    expect(az.state.priceOf('CFG-000001'), 'a variation parent has no offer').toBeNull();
    // A new outlet price in Magento: read back and carried over.
    mg.state.setWebsitePrice('SIM-000002', 'outlet', 50);
    // (Magento is read a couple of seconds behind now: ask for a products pull until it is inside the window.)
    let asked = 0;
    await waitFor('the new outlet price on Amazon', async () => {
      if (Date.now() - asked > 3000) {
        asked = Date.now();
        await post(gw, `/v1/connections/${magento.id}/sync`, { entities: ['products'] }, 202);
      }
      return az.state.priceOf('SIM-000002') === 55.99;
    }, 60_000);
    expect(az.state.priceOf('SIM-000001')).toBe(33.99);

    // The merchant gives SIM-000003 its brand in Magento: published, and its exception settled.
    mg.state.product('SIM-000003')!.attrs.brand = 'Acme';
    mg.state.touchProduct('SIM-000003');
    asked = 0;
    await waitFor('SIM-000003 on Amazon', async () => {
      if (Date.now() - asked > 3000) {
        asked = Date.now();
        await post(gw, `/v1/connections/${magento.id}/sync`, { entities: ['products'] }, 202);
      }
      return az.state.listings.has('SIM-000003');
    }, 60_000);
    await waitFor('its listing published', async () => (await json(gw.call(`/v1/listings?product_id=${idOf('SIM-000003')}`))).data[0]?.state === 'published');
    const settled = await exceptions(gw, `kind=listing_rejected&link_id=${link.id}`);
    expect(settled.filter((e) => e.state === 'open').map((e) => e.subject)).toEqual([idOf('SIM-000005')]);
    expect(az.requests.filter((r) => r.operation === 'putListingsItem' && r.status === 200)).toHaveLength(2);
    expect(az.state.feeds.size).toBe(1);
    expect(az.violations).toEqual([]);
    expect(mg.violations).toEqual([]);
  });
});

/** A GraphQL request of tenant a; the answer's data, with errors failing the test. */
async function gql<T = any>(gw: TestGateway, query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await gw.call('/graphql', { method: 'POST', body: JSON.stringify({ query, variables }), headers: { accept: 'application/json' } });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  expect(res.status).toBe(200);
  return body.data as T;
}

describe('the write API as GraphQL mutations, on the Magento simulator', () => {
  test('setInventory, updateProduct of a variant and createShipment, each sent twice with one idempotency key, are applied once', { timeout: 120_000 }, async () => {
    const { gw, mg, az, magento, amazon } = await sides(clothing, {}, { seed: { orders: 12, customers: 3 } });
    const order = mg.state.orders.find((o) => o.state === 'processing' && o.items.some((i) => i.product_type === 'simple' && i.parent_item_id === null && i.qty_ordered - i.qty_shipped >= 1))!;
    expect(order, 'a seeded processing order with a simple line').toBeDefined();
    const line = order.items.find((i) => i.product_type === 'simple' && i.parent_item_id === null && i.qty_ordered - i.qty_shipped >= 1)!;
    const [products, orders] = await waitFor('Magento pulled', async () => {
      const p = await listAll(gw, `/v1/products?connection_id=${magento.id}`);
      const o = await listAll(gw, `/v1/orders?connection_id=${magento.id}`);
      return p.length === mg.state.products.length && o.some((x) => x.external_id === String(order.entity_id)) ? ([p, o] as const) : undefined;
    }, 60_000);
    const cfg = products.find((p) => p.external_id === 'CFG-000001');
    const variant = cfg.variants.find((v: { sku: string }) => v.sku === 'CFG-000001-BLUE-M');
    const ourOrder = orders.find((o) => o.external_id === String(order.entity_id));
    const shipmentsBefore = mg.state.shipmentsOf(order.entity_id).length;
    // Stock of a SKU the shipped order does not hold (a shipment takes its units off the source).
    const stockSku = mg.state.products.find((p) => p.type_id === 'simple' && p.parent_id === null && !order.items.some((i) => i.sku === p.sku))!.sku;
    // Available stock is set: what open orders hold stays held on top of it.
    const reserved = Number((await listAll(gw, `/v1/inventory?connection_id=${magento.id}&sku=${stockSku}`)).find((l) => l.location_id === 'default')?.reserved ?? 0);
    // The catalog on Amazon first, so that the variant's new title has somewhere to go.
    const profile = await post(gw, '/v1/profiles', { name: 'Magento to Amazon', rules: catalogRules });
    await post(gw, '/v1/links', { name: 'publish', flow: 'catalog_publish', source_connection_id: magento.id, targets: [{ connection_id: amazon.id }], profile_id: profile.id, options: { bulk_threshold: 3, debounce_ms: 100 } });
    await waitFor('the catalog on Amazon', () => az.state.listings.has('CFG-000001-BLUE-M') && az.state.listings.size === 9, 60_000);

    const setInventory = `mutation ($key: String) { setInventory(sku: "${stockSku}", connection_id: "${magento.id}", available: 42, location_id: "default", idempotency_key: $key) { id state kind } }`;
    const updateProduct = `mutation ($id: ID!, $variant: ID, $key: String) { updateProduct(id: $id, variant_id: $variant, title: "Blue shirt, size M", idempotency_key: $key) { id state kind } }`;
    const createShipment = `mutation ($order: ID!, $sku: String!, $key: String) { createShipment(order_id: $order, lines: [{ sku: $sku, quantity: 1 }], carrier: "UPS", tracking_number: "1Z-GQL-1", idempotency_key: $key) { id state kind } }`;
    const calls: [string, Record<string, unknown>][] = [
      [setInventory, { key: 'gql-stock-1' }],
      [updateProduct, { id: cfg.id, variant: variant.id, key: 'gql-variant-1' }],
      [createShipment, { order: ourOrder.id, sku: line.sku, key: 'gql-ship-1' }],
    ];
    for (const [query, variables] of calls) {
      const first = Object.values(await gql(gw, query, variables))[0] as { id: string; state: string };
      const second = Object.values(await gql(gw, query, variables))[0] as { id: string; state: string };
      expect(second.id, 'the same operation answers the second request').toBe(first.id);
    }
    await waitFor('the stock in Magento', () => mg.state.sourceItem(stockSku, 'default')?.quantity === 42 + reserved, 30_000).catch((e: unknown) => {
      throw new Error(`${String(e)}: quantity ${mg.state.sourceItem(stockSku, 'default')?.quantity}, reserved ${reserved}`);
    });
    await waitFor('the variant renamed in Magento', () => mg.state.product('CFG-000001-BLUE-M')!.name === 'Blue shirt, size M', 30_000);
    await waitFor('the shipment in Magento', () => mg.state.shipmentsOf(order.entity_id).length === shipmentsBefore + 1, 30_000);
    // Once each, and nothing more after a while.
    await new Promise((r) => setTimeout(r, 1500));
    expect(mg.state.stockWrites.get(`${stockSku}@default`)).toBe(1);
    expect(mg.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/V1/products/CFG-000001-BLUE-M') && r.status === 200)).toHaveLength(1);
    expect(mg.requests.filter((r) => r.method === 'POST' && new RegExp(`/V1/order/${order.entity_id}/ship$`).test(r.path))).toHaveLength(1);
    expect(mg.state.shipmentsOf(order.entity_id)).toHaveLength(shipmentsBefore + 1);
    expect(mg.state.product('CFG-000001')!.name, 'the parent keeps its name').not.toBe('Blue shirt, size M');
    // The new title of the variant reaches its Amazon child listing, by one single write.
    await waitFor('the variant renamed on Amazon', () => (az.state.listings.get('CFG-000001-BLUE-M')!.attributes.item_name as Attr)[0]!.value === 'Blue shirt, size M', 60_000);
    expect(az.requests.filter((r) => r.operation === 'putListingsItem' && r.status === 200)).toHaveLength(1);
    expect(mg.violations).toEqual([]);
  });
});

// The simulator's asynchronous and catalogue side: JSON_LISTINGS_FEED through feed documents (upload URL,
// IN_QUEUE -> IN_PROGRESS -> DONE/FATAL, a gzip processing report that validates against Amazon's report
// schema), product type definitions served with a schema document and checksum, FBA inventory summaries,
// catalog lookup by EAN/UPC, and notification destinations/subscriptions with grantless tokens.
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, test } from 'vitest';
import { spModels, startAmazonSim, type AmazonSim, type AmazonSimOptions } from './index.ts';
import { grantlessToken, qs, sellerToken, sp } from './helpers.ts';

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

type Feed = { feedId: string; processingStatus: string; resultFeedDocumentId?: string; processingStartTime?: string; processingEndTime?: string };
type Report = {
  header: { sellerId: string; feedId: string };
  issues: { messageId?: number; sku?: string; severity: string; message: string; attributeName?: string }[];
  summary: { errors: number; messagesProcessed: number; messagesAccepted: number; messagesInvalid: number; itemSummary?: { items: number } };
  items?: { sku: string }[];
};

async function submitFeed(sim: AmazonSim, token: string, doc: unknown, opts: { gzip?: boolean; contentType?: string } = {}): Promise<string> {
  const contentType = opts.contentType ?? 'application/json; charset=UTF-8';
  const d = await sp<{ feedDocumentId: string; url: string }>(sim, token, 'POST', '/feeds/2021-06-30/documents', { contentType });
  expect(d.status).toBe(201);
  const bytes = Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc));
  const up = await fetch(d.body.url, { method: 'PUT', headers: { 'content-type': contentType }, body: opts.gzip ? gzipSync(bytes) : bytes });
  expect(up.status).toBe(200);
  const f = await sp<{ feedId: string }>(sim, token, 'POST', '/feeds/2021-06-30/feeds', { feedType: 'JSON_LISTINGS_FEED', marketplaceIds: ['ATVPDKIKX0DER'], inputFeedDocumentId: d.body.feedDocumentId });
  expect(f.status).toBe(202);
  return f.body.feedId;
}

async function report(sim: AmazonSim, token: string, feed: Feed): Promise<Report> {
  const doc = await sp<{ url: string; compressionAlgorithm?: string }>(sim, token, 'GET', `/feeds/2021-06-30/documents/${encodeURIComponent(feed.resultFeedDocumentId as string)}`);
  expect(doc.status).toBe(200);
  expect(doc.body.compressionAlgorithm).toBe('GZIP');
  const raw = Buffer.from(await (await fetch(doc.body.url)).arrayBuffer());
  return JSON.parse(gunzipSync(raw).toString('utf8')) as Report;
}

describe('JSON_LISTINGS_FEED', () => {
  test('a feed goes IN_QUEUE -> IN_PROGRESS -> DONE on the clock, applies its messages and reports each issue by messageId and sku', async () => {
    let now = T0;
    const sim = await start({ seed: { listings: 10 }, clock: () => now, feedProcessingMs: 4000 });
    const token = await sellerToken(sim);
    const mp = 'ATVPDKIKX0DER';
    const feedId = await submitFeed(
      sim,
      token,
      {
        header: { sellerId: sim.sellerId, version: '2.0', issueLocale: 'en_US', report: { includedData: ['summaries', 'fulfillmentAvailability'], apiVersion: '2021-08-01' } },
        messages: [
          { messageId: 1, sku: 'SIM-000002', operationType: 'PATCH', productType: 'PRODUCT', patches: [{ op: 'replace', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: 42 }] }] },
          { messageId: 2, sku: 'SIM-000003', operationType: 'PARTIAL_UPDATE', productType: 'PRODUCT', attributes: { fulfillment_availability: [{ fulfillment_channel_code: 'DEFAULT', quantity: 5 }] } },
          { messageId: 3, sku: 'SIM-000004', operationType: 'PATCH', productType: 'PRODUCT', patches: [{ op: 'replace', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: -1 }] }] },
          { messageId: 4, sku: 'NEW-1', operationType: 'UPDATE', productType: 'PRODUCT', requirements: 'LISTING', attributes: { item_name: [{ value: 'New', language_tag: 'en_US', marketplace_id: mp }] } },
          { messageId: 5, sku: 'SIM-000005', operationType: 'DELETE' },
          { messageId: 6, sku: 'SIM-000006', operationType: 'FROBNICATE' },
        ],
      },
      { gzip: true },
    );
    const get = async () => (await sp<Feed>(sim, token, 'GET', `/feeds/2021-06-30/feeds/${feedId}`)).body;
    expect((await get()).processingStatus).toBe('IN_QUEUE');
    now += 1500;
    expect((await get()).processingStatus).toBe('IN_PROGRESS');
    expect(sim.state.quantityOf('SIM-000002')).not.toBe(42);
    now += 3000;
    const done = await get();
    expect(done.processingStatus).toBe('DONE');
    expect(done.processingEndTime).toBeTruthy();
    const r = await report(sim, token, done);
    expect(spModels().processingReport(r)).toBe(true);
    expect(r.header).toMatchObject({ sellerId: sim.sellerId, feedId });
    expect(r.summary).toMatchObject({ messagesProcessed: 6, messagesAccepted: 3, messagesInvalid: 3 });
    expect(r.issues.map((i) => [i.messageId, i.sku, i.severity])).toEqual(
      expect.arrayContaining([
        [3, 'SIM-000004', 'ERROR'],
        [4, 'NEW-1', 'ERROR'],
        [6, 'SIM-000006', 'ERROR'],
      ]),
    );
    expect(r.issues.find((i) => i.messageId === 3)?.attributeName).toBe('fulfillment_availability');
    expect(r.issues.filter((i) => i.messageId === 4).map((i) => i.attributeName).sort()).toEqual(['brand', 'condition_type']);
    expect(r.items?.map((i) => i.sku).sort()).toEqual(['SIM-000002', 'SIM-000003']);
    expect(sim.state.quantityOf('SIM-000002')).toBe(42);
    expect(sim.state.quantityOf('SIM-000003')).toBe(5);
    expect(sim.state.listings.has('SIM-000005')).toBe(false);
    expect(sim.state.listings.has('NEW-1')).toBe(false);
    expect(sim.state.listingWrites.map((w) => [w.sku, w.kind])).toEqual([
      ['SIM-000002', 'feed'],
      ['SIM-000003', 'feed'],
      ['SIM-000005', 'delete'],
    ]);
  });

  test('a document that is not a listings feed, or one of another seller, ends FATAL with a report saying why', async () => {
    let now = T0;
    const sim = await start({ clock: () => now, feedProcessingMs: 100 });
    const token = await sellerToken(sim);
    const a = await submitFeed(sim, token, '<?xml version="1.0"?><AmazonEnvelope/>');
    const b = await submitFeed(sim, token, { header: { sellerId: 'SOMEONE-ELSE', version: '2.0' }, messages: [{ messageId: 1, sku: 'x', operationType: 'DELETE' }] });
    const c = await submitFeed(sim, token, { header: { sellerId: sim.sellerId, version: '1.0' }, messages: [] });
    now += 200;
    for (const id of [a, b, c]) {
      const f = (await sp<Feed>(sim, token, 'GET', `/feeds/2021-06-30/feeds/${id}`)).body;
      expect(f.processingStatus).toBe('FATAL');
      const r = await report(sim, token, f);
      expect(spModels().processingReport(r)).toBe(true);
      expect(r.summary.errors).toBeGreaterThan(0);
      expect(r.summary.messagesAccepted).toBe(0);
    }
  });

  test('upload URLs are signed for their content type and expire; unsupported feed types and unknown documents are refused; IN_QUEUE feeds can be cancelled', async () => {
    let now = T0;
    const sim = await start({ clock: () => now });
    const token = await sellerToken(sim);
    const d = await sp<{ feedDocumentId: string; url: string }>(sim, token, 'POST', '/feeds/2021-06-30/documents', { contentType: 'application/json; charset=UTF-8' });
    expect((await fetch(d.body.url, { method: 'PUT', headers: { 'content-type': 'text/xml' }, body: '<x/>' })).status).toBe(403);
    const tampered = d.body.url.replace(/X-Amz-Signature=\w+/, `X-Amz-Signature=${'0'.repeat(64)}`);
    expect((await fetch(tampered, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(403);
    const xml = await sp(sim, token, 'POST', '/feeds/2021-06-30/feeds', { feedType: 'POST_PRODUCT_DATA', marketplaceIds: ['ATVPDKIKX0DER'], inputFeedDocumentId: d.body.feedDocumentId });
    expect(xml.status).toBe(400);
    const missing = await sp(sim, token, 'POST', '/feeds/2021-06-30/feeds', { feedType: 'JSON_LISTINGS_FEED', marketplaceIds: ['ATVPDKIKX0DER'], inputFeedDocumentId: 'nope' });
    expect(missing.status).toBe(400);
    const f = await sp<{ feedId: string }>(sim, token, 'POST', '/feeds/2021-06-30/feeds', { feedType: 'JSON_LISTINGS_FEED', marketplaceIds: ['ATVPDKIKX0DER'], inputFeedDocumentId: d.body.feedDocumentId });
    expect((await sp(sim, token, 'DELETE', `/feeds/2021-06-30/feeds/${f.body.feedId}`)).status).toBe(200);
    expect((await sp<Feed>(sim, token, 'GET', `/feeds/2021-06-30/feeds/${f.body.feedId}`)).body.processingStatus).toBe('CANCELLED');
    const list = await sp<{ feeds: Feed[] }>(sim, token, 'GET', '/feeds/2021-06-30/feeds?feedTypes=JSON_LISTINGS_FEED');
    expect(list.body.feeds.map((x) => x.feedId)).toEqual([f.body.feedId]);
    now += 301_000;
    expect((await fetch(d.body.url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(403);
    expect((await sp(sim, token, 'GET', '/feeds/2021-06-30/feeds/123')).status).toBe(404);
  });

  test('createFeed runs at its documented usage plan: burst 15, then 429', async () => {
    const sim = await start({ rateLimits: true, clock: () => T0 });
    const token = await sellerToken(sim);
    const d = await sp<{ feedDocumentId: string }>(sim, token, 'POST', '/feeds/2021-06-30/documents', { contentType: 'application/json' });
    const statuses: number[] = [];
    for (let i = 0; i < 16; i++) {
      statuses.push((await sp(sim, token, 'POST', '/feeds/2021-06-30/feeds', { feedType: 'JSON_LISTINGS_FEED', marketplaceIds: ['ATVPDKIKX0DER'], inputFeedDocumentId: d.body.feedDocumentId })).status);
    }
    expect(statuses.filter((s) => s === 202)).toHaveLength(15);
    expect(statuses[15]).toBe(429);
  });
});

describe('product type definitions', () => {
  test('getDefinitionsProductType links a schema document with its checksum; the schema is JSON Schema in the PTD style and drives validation', async () => {
    const sim = await start();
    const token = await sellerToken(sim);
    const r = await sp<{ schema: { link: { resource: string; verb: string }; checksum: string }; metaSchema: { link: { resource: string } }; productTypeVersion: { version: string; latest: boolean }; requirements: string; propertyGroups: Record<string, { propertyNames: string[] }> }>(
      sim,
      token,
      'GET',
      '/definitions/2020-09-01/productTypes/SHIRT' + qs({ marketplaceIds: ['ATVPDKIKX0DER'], requirements: 'LISTING' }),
    );
    expect(r.status).toBe(200);
    expect(r.body.schema.link.verb).toBe('GET');
    expect(r.body.productTypeVersion.latest).toBe(true);
    expect(r.body.propertyGroups.offer?.propertyNames).toContain('fulfillment_availability');
    const text = await (await fetch(r.body.schema.link.resource)).text();
    const { createHash } = await import('node:crypto');
    expect(createHash('md5').update(text).digest('base64')).toBe(r.body.schema.checksum);
    const schema = JSON.parse(text) as { $schema: string; required: string[]; properties: Record<string, { selectors?: string[] }>; allOf: unknown[] };
    expect(schema.$schema).toMatch(/product-types\/meta-schema\/v1$/);
    expect(schema.required).toEqual(expect.arrayContaining(['item_name', 'brand', 'department', 'condition_type']));
    expect(schema.properties.item_name?.selectors).toEqual(['marketplace_id', 'language_tag']);
    expect(schema.allOf.length).toBeGreaterThan(0);
    expect((await fetch(r.body.metaSchema.link.resource)).status).toBe(200);
    // Same document, same checksum: an adapter can cache on it.
    const again = await sp<{ schema: { checksum: string } }>(sim, token, 'GET', '/definitions/2020-09-01/productTypes/SHIRT?marketplaceIds=ATVPDKIKX0DER');
    expect(again.body.schema.checksum).toBe(r.body.schema.checksum);
    const offerOnly = await sp<{ schema: { checksum: string } }>(sim, token, 'GET', '/definitions/2020-09-01/productTypes/SHIRT?marketplaceIds=ATVPDKIKX0DER&requirements=LISTING_OFFER_ONLY');
    expect(offerOnly.body.schema.checksum).not.toBe(r.body.schema.checksum);
    expect((await sp(sim, token, 'GET', '/definitions/2020-09-01/productTypes/SPACESHIP?marketplaceIds=ATVPDKIKX0DER')).status).toBe(404);
    // Amazon publishes a new version: new checksum and version; the old version stays retrievable.
    sim.state.bumpProductType('SHIRT');
    type Def = { schema: { checksum: string; link: { resource: string } }; productTypeVersion: { version: string; latest: boolean } };
    const bumped = await sp<Def>(sim, token, 'GET', '/definitions/2020-09-01/productTypes/SHIRT?marketplaceIds=ATVPDKIKX0DER');
    expect(bumped.body.schema.checksum).not.toBe(r.body.schema.checksum);
    expect(bumped.body.productTypeVersion.version).not.toBe(r.body.productTypeVersion.version);
    const bumpedText = await (await fetch(bumped.body.schema.link.resource)).text();
    expect(createHash('md5').update(bumpedText).digest('base64')).toBe(bumped.body.schema.checksum);
    const old = await sp<Def>(sim, token, 'GET', '/definitions/2020-09-01/productTypes/SHIRT' + qs({ marketplaceIds: ['ATVPDKIKX0DER'], productTypeVersion: r.body.productTypeVersion.version }));
    expect(old.body.schema.checksum).toBe(r.body.schema.checksum);
    expect(old.body.productTypeVersion.latest).toBe(false);
    const search = await sp<{ productTypes: { name: string }[] }>(sim, token, 'GET', '/definitions/2020-09-01/productTypes?marketplaceIds=ATVPDKIKX0DER&keywords=luggage');
    expect(search.body.productTypes.map((p) => p.name)).toEqual(['LUGGAGE']);
  });
});

describe('FBA inventory, catalog, notifications', () => {
  test('getInventorySummaries pages 50 at a time with nextToken; details add the quantity breakdown', async () => {
    const sim = await start({ seed: { listings: 80, fbaInventory: 120 } });
    const token = await sellerToken(sim);
    const skus: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const r = await sp<{ payload: { granularity: unknown; inventorySummaries: { sellerSku: string; totalQuantity: number; inventoryDetails?: { fulfillableQuantity: number } }[] }; pagination?: { nextToken: string } }>(
        sim,
        token,
        'GET',
        '/fba/inventory/v1/summaries' + qs({ details: true, granularityType: 'Marketplace', granularityId: 'ATVPDKIKX0DER', marketplaceIds: ['ATVPDKIKX0DER'], nextToken }),
      );
      expect(r.status).toBe(200);
      expect(r.body.payload.granularity).toEqual({ granularityType: 'Marketplace', granularityId: 'ATVPDKIKX0DER' });
      for (const s of r.body.payload.inventorySummaries) {
        expect(s.inventoryDetails?.fulfillableQuantity).toBe(sim.state.fbaInventory.get(s.sellerSku)?.fulfillable);
        expect(s.totalQuantity).toBeGreaterThanOrEqual(s.inventoryDetails?.fulfillableQuantity ?? 0);
      }
      skus.push(...r.body.payload.inventorySummaries.map((s) => s.sellerSku));
      nextToken = r.body.pagination?.nextToken;
      pages++;
    } while (nextToken);
    expect(pages).toBe(3);
    expect(new Set(skus).size).toBe(120);
    // FBA stock belongs to FBA listings only: no SKU is both merchant- and Amazon-fulfilled.
    for (const sku of skus) {
      if (sim.state.listings.has(sku)) expect(sim.state.quantityOf(sku)).toBeNull();
    }
    expect(skus.filter((s) => sim.state.listings.has(s))).toHaveLength(80);
    const one = await sp<{ payload: { inventorySummaries: { inventoryDetails?: unknown }[] } }>(sim, token, 'GET', '/fba/inventory/v1/summaries' + qs({ granularityType: 'Marketplace', granularityId: 'ATVPDKIKX0DER', marketplaceIds: ['ATVPDKIKX0DER'], sellerSkus: [skus[0] as string] }));
    expect(one.body.payload.inventorySummaries).toHaveLength(1);
    expect(one.body.payload.inventorySummaries[0]?.inventoryDetails).toBeUndefined();
    expect((await sp(sim, token, 'GET', '/fba/inventory/v1/summaries?granularityType=Country&granularityId=US&marketplaceIds=ATVPDKIKX0DER')).status).toBe(400);
  });

  test('searchCatalogItems matches an EAN or UPC to its ASIN', async () => {
    const sim = await start({ seed: { listings: 30 } });
    const token = await sellerToken(sim);
    const item = [...sim.state.catalog.values()][7]!;
    const ean = item.identifiers.find((i) => i.identifierType === 'EAN')!.identifier;
    const upc = item.identifiers.find((i) => i.identifierType === 'UPC')!.identifier;
    for (const [type, id] of [['EAN', ean], ['UPC', upc]] as const) {
      const r = await sp<{ numberOfResults: number; items: { asin: string; identifiers: { identifiers: { identifierType: string }[] }[] }[] }>(
        sim,
        token,
        'GET',
        '/catalog/2022-04-01/items' + qs({ identifiers: [id], identifiersType: type, marketplaceIds: ['ATVPDKIKX0DER'], includedData: ['summaries', 'identifiers'] }),
      );
      expect(r.status).toBe(200);
      expect(r.body.items.map((i) => i.asin)).toEqual([item.asin]);
    }
    const none = await sp<{ numberOfResults: number }>(sim, token, 'GET', '/catalog/2022-04-01/items?identifiers=0000000000000&identifiersType=EAN&marketplaceIds=ATVPDKIKX0DER');
    expect(none.body.numberOfResults).toBe(0);
    expect((await sp(sim, token, 'GET', '/catalog/2022-04-01/items?identifiers=1&marketplaceIds=ATVPDKIKX0DER')).status).toBe(400);
    expect((await sp(sim, token, 'GET', `/catalog/2022-04-01/items/${item.asin}?marketplaceIds=ATVPDKIKX0DER`)).status).toBe(200);
  });

  test('destinations take grantless tokens, subscriptions the seller token; ORDER_CHANGE payloads carry the subscription id', async () => {
    const sim = await start({ seed: { listings: 2 } });
    const seller = await sellerToken(sim);
    const grantless = await grantlessToken(sim);
    const dest = await sp<{ payload: { destinationId: string } }>(sim, grantless, 'POST', '/notifications/v1/destinations', {
      name: 'switchyard',
      resourceSpecification: { sqs: { arn: 'arn:aws:sqs:us-east-1:123456789012:switchyard' } },
    });
    expect(dest.status).toBe(200);
    expect((await sp(sim, grantless, 'POST', '/notifications/v1/destinations', { name: 'dup', resourceSpecification: { sqs: { arn: 'arn:aws:sqs:us-east-1:123456789012:switchyard' } } })).status).toBe(409);
    expect((await sp(sim, seller, 'POST', '/notifications/v1/destinations', { name: 'x', resourceSpecification: { sqs: { arn: 'arn:aws:sqs:us-east-1:1:y' } } })).status).toBe(403);
    const sub = await sp<{ payload: { subscriptionId: string } }>(sim, seller, 'POST', '/notifications/v1/subscriptions/ORDER_CHANGE', { payloadVersion: '1.0', destinationId: dest.body.payload.destinationId });
    expect(sub.status).toBe(200);
    expect((await sp(sim, seller, 'POST', '/notifications/v1/subscriptions/ORDER_CHANGE', { payloadVersion: '1.0', destinationId: dest.body.payload.destinationId })).status).toBe(409);
    expect((await sp<{ payload: { subscriptionId: string } }>(sim, seller, 'GET', '/notifications/v1/subscriptions/ORDER_CHANGE')).body.payload.subscriptionId).toBe(sub.body.payload.subscriptionId);
    const o = sim.state.placeOrder();
    const n = sim.state.notifications.at(-1)!;
    expect(n.NotificationMetadata.SubscriptionId).toBe(sub.body.payload.subscriptionId);
    expect(n.Payload.OrderChangeNotification.AmazonOrderId).toBe(o.orderId);
    expect(spModels().orderChangeNotification(n)).toBe(true);
    expect((await sp(sim, grantless, 'DELETE', `/notifications/v1/subscriptions/ORDER_CHANGE/${sub.body.payload.subscriptionId}`)).status).toBe(200);
    expect((await sp(sim, seller, 'GET', '/notifications/v1/subscriptions/ORDER_CHANGE')).status).toBe(404);
    expect((await sp<{ payload: unknown[] }>(sim, grantless, 'GET', '/notifications/v1/destinations')).body.payload).toHaveLength(1);
  });
});

// Amazon mapping and parsing against Amazon's own examples: the Orders 2026-01-01 sandbox responses, the
// listings feed processing report example, the ORDER_CHANGE notification schema; and the SQS poller
// against an in-memory queue that behaves as SQS does (visibility timeout, delete by receipt).
import { Ajv } from 'ajv';
import { describe, expect, test } from 'vitest';
import { mapReport, ProcessingReport } from '../../src/adapters/amazon/feeds.ts';
import { addDecimals, toOrder } from '../../src/adapters/amazon/map.ts';
import { parseNotification } from '../../src/adapters/amazon/notifications.ts';
import { packageReferenceIdOf } from '../../src/adapters/amazon/orders.ts';
import { amazonAttributesOf, compileProductTypeSchema, schemaIssues, toAmazonAttributes, withListingField } from '../../src/adapters/amazon/product-types.ts';
import { mapProduct } from '../../src/core/flows/rules.ts';
import { ProfileRules } from '../../src/core/model/flow.ts';
import type { Product } from '../../src/core/model/index.ts';
import { OrderInput } from '../../src/core/model/index.ts';
import { readSpec } from '../sim/amazon/models.ts';
import { ptdSchema, validateAttributes } from '../sim/amazon/ptd.ts';
import { NotificationPoller, type NotificationQueue, type QueueMessage } from '../../src/core/sync/notifications.ts';

const json = (p: string) => readSpec(p) as Record<string, any>;

const orders = json('models/orders-api-model/orders_2026-01-01.json');
const getOrderCases = orders.paths['/orders/2026-01-01/orders/{orderId}'].get.responses['200']['x-amzn-api-sandbox'].static as { response: { order: any } }[];
const searchCases = orders.paths['/orders/2026-01-01/orders'].get.responses['200']['x-amzn-api-sandbox'].static as { response: { orders: any[] } }[];
const sandboxOrders = [...getOrderCases.map((c) => c.response.order), ...searchCases.flatMap((c) => c.response.orders)];

describe('orders 2026-01-01 to the canonical order', () => {
  test('every sandbox order normalizes to a valid OrderInput with exact decimal totals', () => {
    expect(sandboxOrders.length).toBeGreaterThanOrEqual(6);
    for (const o of sandboxOrders) {
      const input = toOrder({ external_id: o.orderId, updated_at: o.lastUpdatedTime, payload: o });
      const parsed = OrderInput.safeParse(input);
      expect(parsed.success, `${o.orderId}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues)}`).toBe(true);
      expect(input.order_number).toBe(o.orderId);
      if (o.proceeds?.grandTotal) {
        expect(input.totals.total.amount).toBe(o.proceeds.grandTotal.amount);
        expect(input.currency).toBe(o.proceeds.grandTotal.currencyCode);
      }
      expect(input.lines.map((l) => l.external_id)).toEqual(o.orderItems.map((i: any) => i.orderItemId));
    }
  });

  test('an FBA (AFN) order is marketplace-fulfilled', () => {
    const afn = sandboxOrders.find((o) => o.fulfillment?.fulfilledBy === 'AMAZON');
    expect(afn).toBeTruthy();
    const input = toOrder({ external_id: afn.orderId, updated_at: null, payload: afn });
    expect(input.fulfillment_channel).toBe('marketplace');
    const mfn = toOrder({ external_id: 'x', updated_at: null, payload: getOrderCases[0]!.response.order });
    expect(mfn.fulfillment_channel).toBe('merchant');
    expect(mfn.status).toBe('processing');
    expect(mfn.shipping_address?.postal_code).toBe(getOrderCases[0]!.response.order.recipient.deliveryAddress.postalCode);
  });

  test('an AFN order without a delivery address keeps a null address, not a row of nulls', () => {
    const afn = structuredClone(sandboxOrders.find((o) => o.fulfillment?.fulfilledBy === 'AMAZON'));
    afn.recipient = { deliveryAddress: { name: null, addressLine1: null, city: null, postalCode: null, countryCode: null } };
    const input = toOrder({ external_id: afn.orderId, updated_at: null, payload: afn });
    expect(input.shipping_address).toBeNull();
    expect(OrderInput.safeParse(input).success).toBe(true);
  });

  test('a Pending order has no prices or address yet: pending, zero amounts in the marketplace currency', () => {
    const o = structuredClone(getOrderCases[0]!.response.order);
    o.fulfillment.fulfillmentStatus = 'PENDING';
    delete o.proceeds;
    delete o.recipient;
    for (const it of o.orderItems) {
      delete it.proceeds;
      delete it.product.price;
    }
    const input = toOrder({ external_id: o.orderId, updated_at: null, payload: o });
    expect(input.status).toBe('pending');
    expect(input.channel_status).toBe('PENDING');
    expect(input.shipping_address).toBeNull();
    expect(input.totals.total.amount).toBe('0.00');
    expect(input.lines.every((l) => l.unit_price.amount === '0.00')).toBe(true);
    expect(OrderInput.safeParse(input).success).toBe(true);
  });

  test('decimals add exactly', () => {
    expect(addDecimals(['0.1', '0.2'])).toBe('0.30');
    expect(addDecimals(['19.99', '-5.00', '0.015'])).toBe('15.005');
  });
});

describe('shipment package ids', () => {
  test('the packageReferenceId is a positive number, stable per idempotency key', () => {
    const a = packageReferenceIdOf('confirm-shipment:shp_1');
    expect(a).toMatch(/^[1-9]\d*$/);
    expect(packageReferenceIdOf('confirm-shipment:shp_1')).toBe(a);
    expect(packageReferenceIdOf('confirm-shipment:shp_2')).not.toBe(a);
  });
});

describe('feed processing reports', () => {
  test("the example report validates against Amazon's schema and maps each issue to its message's sku", () => {
    const example = json('schemas/feeds/listings-feed-processing-report-schema-v2.example.json');
    const schema = json('schemas/feeds/listings-feed-processing-report-schema-v2.json');
    const ajv = new Ajv({ strict: false });
    expect(ajv.validate(schema, example)).toBe(true);
    const report = ProcessingReport.parse(example);
    // Messages 1..5 of our feed; the report names messageIds 4 and 5.
    const skus = ['S1', 'S2', 'S3', 'S4', 'S5'];
    const r = mapReport(skus, report);
    const errorSkus = new Set(r.issues.filter((i) => i.severity === 'error').map((i) => i.sku));
    expect([...errorSkus].sort()).toEqual(['S4', 'S5']);
    expect(r.accepted).toEqual(['S1', 'S2', 'S3']);
    expect(r.issues.find((i) => i.sku === 'S5')?.attribute).toBe('purchasable_offer.our_price');
  });
});

describe('product type validation', () => {
  const schema = {
    $schema: 'https://schemas.amazon.com/selling-partners/definitions/product-types/meta-schema/v1',
    $id: 'https://schemas.amazon.com/selling-partners/definitions/product-types/schema/v1/LUGGAGE',
    type: 'object',
    required: ['item_name', 'brand'],
    properties: {
      item_name: { type: 'array', minItems: 1, items: { type: 'object', required: ['value'], properties: { value: { type: 'string', maxLength: 20 } }, editable: true, selectors: ['marketplace_id'] } },
      brand: { type: 'array', items: { type: 'object', properties: { value: { type: 'string' } } } },
    },
  };
  test('errors name the attribute (missing, and wrong inside a value)', () => {
    const validate = compileProductTypeSchema(schema);
    expect(validate({ item_name: [{ value: 'short' }], brand: [{ value: 'B' }] })).toBe(true);
    expect(validate({ item_name: [{ value: 'x'.repeat(30) }] })).toBe(false);
    const issues = schemaIssues('SKU-1', validate.errors);
    expect(issues.map((i) => i.attribute).sort()).toEqual(['brand', 'item_name']);
    expect(issues.find((i) => i.attribute === 'brand')?.message).toContain('brand is required');
    expect(issues.find((i) => i.attribute === 'item_name')?.message).toContain('item_name at /item_name/0/value');
  });
});

describe('a canonical listing in Amazon\'s names', () => {
  const at = '2026-01-01T00:00:00.000Z';
  const variant = (sku: string, size: string, ean: string) => ({ id: `v-${sku}`, sku, title: `Shirt ${size}`, position: 0, options: { size }, identifiers: { ean }, prices: [], weight: null, attributes: {} });
  const product = {
    id: 'prod_1', connection_id: 'conn_1', channel: 'magento', external_id: '7', created_at: at, updated_at: at, synced_at: at,
    title: 'Shirt', description: 'Cotton', status: 'active', product_type: 'configurable', brand: 'Acme',
    options: [{ name: 'size', values: ['S', 'M'] }], identifiers: { sku: 'CFG-1' }, attributes: {}, images: [{ url: 'https://img.example/1.jpg', position: 0, roles: [], alt: null }],
    category_ids: [], prices: [], variants: [variant('CFG-1-S', 'S', '4000000000017'), variant('CFG-1-M', 'M', '4000000000024')],
  } as unknown as Product;
  const rules = ProfileRules.parse({ default_product_type: 'SHIRT', variations: { enabled: true, theme: { size: 'size' }, theme_name: 'SIZE' }, identifiers: { match: ['ean'] } });

  test('the flows map a family to canonical fields; the adapter names them as Amazon does', () => {
    const [parent, child] = mapProduct(product, rules, 'ATVPDKIKX0DER', new Map());
    // The canonical listing speaks no marketplace's attribute names.
    expect(child!.listing).toEqual({
      sku: 'CFG-1-S', marketplace_id: 'ATVPDKIKX0DER', product_type: 'SHIRT', title: 'Shirt S', description: 'Cotton', image_url: 'https://img.example/1.jpg',
      variation: { role: 'child', attributes: ['size'], theme: 'SIZE', parent_sku: 'CFG-1' }, identifier: { type: 'ean', value: '4000000000017' }, attributes: { size: 'S' },
    });
    expect(amazonAttributesOf(child!.listing)).toEqual({
      item_name: 'Shirt S', product_description: 'Cotton', main_product_image_locator: 'https://img.example/1.jpg', size: 'S',
      parentage_level: 'child', parent_sku: 'CFG-1', variation_theme: 'SIZE', externally_assigned_product_identifier: { type: 'ean', value: '4000000000017' },
    });
    expect(amazonAttributesOf(parent!.listing)).toMatchObject({ item_name: 'Shirt', parentage_level: 'parent', variation_theme: 'SIZE' });
    expect(amazonAttributesOf(parent!.listing)).not.toHaveProperty('externally_assigned_product_identifier');
    // Without the profile's name for it, the theme is named from the varying attributes.
    const unnamed = mapProduct(product, ProfileRules.parse({ ...rules, variations: { enabled: true, theme: { size: 'size' } } }), 'ATVPDKIKX0DER', new Map());
    expect(unnamed[1]!.listing.variation).toEqual({ role: 'child', attributes: ['size'], theme: null, parent_sku: 'CFG-1' });
    expect(amazonAttributesOf(unnamed[1]!.listing).variation_theme).toBe('size');
    // A profile attribute of the same name wins over the content field.
    expect(amazonAttributesOf({ ...child!.listing, attributes: { item_name: 'Own title' } }).item_name).toBe('Own title');
    // Amazon's issue about item_name names the canonical field it came from.
    expect(withListingField({ sku: 'S', code: 'x', message: 'm', severity: 'error', attribute: 'item_name' }).field).toBe('title');
  });
});

describe('plain listing attributes in Amazon\'s shape', () => {
  const mp = 'ATVPDKIKX0DER';
  const shirt = ptdSchema('SHIRT', 'LISTING').properties as Record<string, Record<string, unknown>>;
  test('a variation child as the flows map it becomes a listing the SHIRT product type accepts', () => {
    const plain = {
      item_name: 'Shirt-Red-S',
      brand: 'Acme',
      department: 'mens',
      condition_type: 'new_new',
      color: 'Red',
      size: 'S',
      parentage_level: 'child',
      parent_sku: 'CFG-1',
      variation_theme: 'SIZE/COLOR',
      externally_assigned_product_identifier: { type: 'ean', value: '4000000000017' },
      list_price: [{ value: 10, currency: 'USD' }],
    };
    const out = toAmazonAttributes(plain, shirt, mp, 'en_US');
    expect(out).toMatchObject({
      item_name: [{ value: 'Shirt-Red-S', language_tag: 'en_US', marketplace_id: mp }],
      condition_type: [{ value: 'new_new', marketplace_id: mp }],
      variation_theme: [{ name: 'SIZE/COLOR', marketplace_id: mp }],
      child_parent_sku_relationship: [{ child_relationship_type: 'variation', parent_sku: 'CFG-1', marketplace_id: mp }],
      externally_assigned_product_identifier: [{ type: 'ean', value: '4000000000017', marketplace_id: mp }],
      // Already in Amazon's shape: as it was.
      list_price: [{ value: 10, currency: 'USD' }],
    });
    expect(out.parent_sku).toBeUndefined();
    expect((out.condition_type as object[])[0]).not.toHaveProperty('language_tag');
    expect(validateAttributes('SHIRT', out as Record<string, unknown>)).toEqual([]);
    // The plain values themselves are refused.
    expect(validateAttributes('SHIRT', plain).length).toBeGreaterThan(0);
  });
  test('values are typed as the schema says; unknown attributes are wrapped and left to Amazon', () => {
    const props = { batteries_required: shirt.batteries_required!, list_price: shirt.list_price! };
    expect(toAmazonAttributes({ batteries_required: 'false', material: 'cotton', gone: null }, props, mp, null)).toEqual({
      batteries_required: [{ value: false, marketplace_id: mp }],
      material: [{ value: 'cotton', marketplace_id: mp }],
    });
  });
});

describe('ORDER_CHANGE notifications', () => {
  const notification = {
    NotificationVersion: '1.0',
    NotificationType: 'ORDER_CHANGE',
    PayloadVersion: '1.0',
    EventTime: '2026-11-28T03:00:00.000Z',
    Payload: {
      OrderChangeNotification: {
        NotificationLevel: 'OrderLevel',
        SellerId: 'A2SIMSELLER01',
        AmazonOrderId: '902-0000001-0000001',
        OrderChangeType: 'OrderStatusChange',
        OrderChangeTrigger: { TimeOfOrderChange: '2026-11-28T03:00:00.000Z', ChangeReason: 'Order status changed' },
        Summary: { MarketplaceId: 'ATVPDKIKX0DER', OrderStatus: 'Unshipped', PurchaseDate: null, DestinationPostalCode: null, FulfillmentType: 'MFN', OrderType: 'StandardOrder', OrderItems: [] },
      },
    },
    NotificationMetadata: { ApplicationId: 'amzn1.sellerapps.app.x', SubscriptionId: 's1', PublishTime: '2026-11-28T03:00:01.000Z', NotificationId: 'n-1' },
  };

  test("the sample validates against Amazon's schema", () => {
    const ajv = new Ajv({ strict: false });
    expect(ajv.validate(json('schemas/notifications/OrderChangeNotification.json'), notification), JSON.stringify(ajv.errors)).toBe(true);
  });

  test('read directly, from an SQS message body, or from an EventBridge event; another seller or type is ignored', () => {
    const want = { dedupeKey: 'n-1', fetch: [{ entity: 'orders', externalId: '902-0000001-0000001' }] };
    expect(parseNotification(notification, 'A2SIMSELLER01')).toEqual(want);
    expect(parseNotification({ MessageId: 'm', Body: JSON.stringify(notification) }, 'A2SIMSELLER01')).toEqual(want);
    expect(parseNotification({ 'detail-type': 'ORDER_CHANGE', detail: notification }, 'A2SIMSELLER01')).toEqual(want);
    expect(parseNotification(notification, 'OTHER')).toBeNull();
    expect(parseNotification({ ...notification, NotificationType: 'ANY_OFFER_CHANGED' }, 'A2SIMSELLER01')).toBeNull();
    expect(parseNotification({ hello: 'world' }, 'A2SIMSELLER01')).toBeNull();
  });
});

/** An in-memory SQS: received messages are invisible for the visibility timeout, then come back unless deleted. */
class MemorySqs implements NotificationQueue {
  #messages: { id: string; body: string; visibleAt: number; receipt: string | null }[] = [];
  #n = 0;
  constructor(private readonly visibilityMs: number) {}
  send(body: string): void {
    this.#messages.push({ id: `m${++this.#n}`, body, visibleAt: 0, receipt: null });
  }
  get size(): number {
    return this.#messages.length;
  }
  async receive(o: { maxMessages: number }): Promise<QueueMessage[]> {
    const now = Date.now();
    const out: QueueMessage[] = [];
    for (const m of this.#messages) {
      if (out.length >= o.maxMessages || m.visibleAt > now) continue;
      m.receipt = `${m.id}:${++this.#n}`;
      m.visibleAt = now + this.visibilityMs;
      out.push({ id: m.id, body: m.body, receipt: m.receipt });
    }
    return out;
  }
  async delete(receipt: string): Promise<void> {
    this.#messages = this.#messages.filter((m) => m.receipt !== receipt);
  }
}

describe('the notification queue poller', () => {
  test('handled messages are deleted; a failed one comes back after its visibility timeout', async () => {
    const sqs = new MemorySqs(30);
    sqs.send(JSON.stringify({ n: 1 }));
    sqs.send(JSON.stringify({ n: 2 }));
    const seen: unknown[] = [];
    let failOnce = true;
    const poller = new NotificationPoller({
      queue: sqs,
      handle: async (body) => {
        if ((body as { n: number }).n === 2 && failOnce) {
          failOnce = false;
          throw new Error('database away');
        }
        seen.push(body);
      },
    });
    expect(await poller.pollOnce()).toEqual({ received: 2, handled: 1, failed: 1 });
    expect(sqs.size).toBe(1);
    expect(await poller.pollOnce()).toEqual({ received: 0, handled: 0, failed: 0 });
    await new Promise((r) => setTimeout(r, 40));
    expect(await poller.pollOnce()).toEqual({ received: 1, handled: 1, failed: 0 });
    expect(sqs.size).toBe(0);
    expect(seen).toEqual([{ n: 1 }, { n: 2 }]);
  });
});

// The simulated seller account: orders (rendered in the Orders 2026-01-01 shape), listings with their
// attributes, offers, fulfillment availability and issues, FBA inventory, catalog items, feeds and their
// documents, notification destinations/subscriptions and the ORDER_CHANGE outbox. Plain data: tests read
// and change it directly, or through the helpers (placeOrder, setOrderStatus, ...).
import { randomUUID } from 'node:crypto';
import { prng } from '../scripted/faults.ts';
import { validateAttributes, type ListingIssue, type ProductTypeName, type Requirements } from './ptd.ts';

export const MARKETPLACES: Record<string, { name: string; countryCode: string; currency: string; language: string; domain: string }> = {
  ATVPDKIKX0DER: { name: 'Amazon.com', countryCode: 'US', currency: 'USD', language: 'en_US', domain: 'www.amazon.com' },
  A2EUQ1WTGCTBG2: { name: 'Amazon.ca', countryCode: 'CA', currency: 'CAD', language: 'en_CA', domain: 'www.amazon.ca' },
  A1AM78C64UM0Y8: { name: 'Amazon.com.mx', countryCode: 'MX', currency: 'MXN', language: 'es_MX', domain: 'www.amazon.com.mx' },
  A1PA6795UKMFR9: { name: 'Amazon.de', countryCode: 'DE', currency: 'EUR', language: 'de_DE', domain: 'www.amazon.de' },
  A1F83G8C2ARO7P: { name: 'Amazon.co.uk', countryCode: 'GB', currency: 'GBP', language: 'en_GB', domain: 'www.amazon.co.uk' },
  A13V1IB3VIYZZH: { name: 'Amazon.fr', countryCode: 'FR', currency: 'EUR', language: 'fr_FR', domain: 'www.amazon.fr' },
  APJ6JRA9NG5V4: { name: 'Amazon.it', countryCode: 'IT', currency: 'EUR', language: 'it_IT', domain: 'www.amazon.it' },
  A1RKKUPIHCS9HS: { name: 'Amazon.es', countryCode: 'ES', currency: 'EUR', language: 'es_ES', domain: 'www.amazon.es' },
  A1VC38T7YXB528: { name: 'Amazon.co.jp', countryCode: 'JP', currency: 'JPY', language: 'ja_JP', domain: 'www.amazon.co.jp' },
};

export type FulfillmentStatus = 'PENDING' | 'UNSHIPPED' | 'PARTIALLY_SHIPPED' | 'SHIPPED' | 'CANCELLED';
/** The v0 / notification spelling of each status. */
export const LEGACY_STATUS: Record<FulfillmentStatus, 'Pending' | 'Unshipped' | 'PartiallyShipped' | 'Shipped' | 'Canceled'> = {
  PENDING: 'Pending',
  UNSHIPPED: 'Unshipped',
  PARTIALLY_SHIPPED: 'PartiallyShipped',
  SHIPPED: 'Shipped',
  CANCELLED: 'Canceled',
};

export interface SimAddress {
  name?: string;
  addressLine1?: string;
  addressLine2?: string;
  city?: string;
  stateOrRegion?: string;
  postalCode?: string;
  countryCode?: string;
  phone?: string;
  addressType?: string;
}

export interface SimOrderItem {
  orderItemId: string;
  sku: string;
  asin: string;
  title: string;
  quantityOrdered: number;
  quantityShipped: number;
  /** Decimal string; Amazon hides it while the order is Pending. */
  unitPrice: string;
  itemTax: string;
  /** Set when the buyer asks to cancel the item (requestCancellation). */
  cancelRequest?: { reason: string; at: number };
}

export interface SimPackage {
  packageReferenceId: string;
  carrierCode: string;
  carrierName?: string;
  shippingMethod?: string;
  trackingNumber: string;
  shipDate: string;
  createdTime: string;
  items: { orderItemId: string; quantity: number }[];
}

export interface SimOrder {
  orderId: string;
  marketplaceId: string;
  createdTime: number;
  lastUpdatedTime: number;
  status: FulfillmentStatus;
  fulfilledBy: 'MERCHANT' | 'AMAZON';
  currency: string;
  buyer: { buyerName?: string; buyerEmail?: string } | null;
  /** null: Amazon gives no address (FBA orders often); hidden anyway while Pending. */
  address: SimAddress | null;
  items: SimOrderItem[];
  packages: SimPackage[];
  programs: string[];
  shippingPrice: string;
}

export interface SimListing {
  sku: string;
  productType: string;
  marketplaceId: string;
  asin?: string;
  attributes: Record<string, unknown[]>;
  createdDate: number;
  lastUpdatedDate: number;
  issues: ListingIssue[];
  fnSku?: string;
}

export interface SimInventory {
  sellerSku: string;
  asin: string;
  fnSku: string;
  productName: string;
  condition: string;
  fulfillable: number;
  inboundWorking: number;
  inboundShipped: number;
  inboundReceiving: number;
  reserved: number;
  unfulfillable: number;
  researching: number;
  lastUpdatedTime: number;
}

export interface SimCatalogItem {
  asin: string;
  marketplaceId: string;
  itemName: string;
  brand: string;
  identifiers: { identifierType: string; identifier: string }[];
  productType: string;
}

export interface SimFeedDocument {
  feedDocumentId: string;
  contentType: string;
  /** Uploaded (input) or written (result) bytes; null until uploaded. */
  content: Buffer | null;
  compression?: 'GZIP';
  createdAt: number;
}

export interface SimFeed {
  feedId: string;
  feedType: string;
  marketplaceIds: string[];
  inputFeedDocumentId: string;
  createdTime: number;
  processingStatus: 'IN_QUEUE' | 'IN_PROGRESS' | 'DONE' | 'FATAL' | 'CANCELLED';
  processingStartTime?: number;
  processingEndTime?: number;
  resultFeedDocumentId?: string;
  /** The processing report, parsed, once written. */
  report?: unknown;
}

export interface ListingWrite {
  sku: string;
  kind: 'patch' | 'put' | 'delete' | 'feed';
  via: string;
  submissionId: string;
  at: number;
  detail: unknown;
}

export interface Confirmation {
  orderId: string;
  packageReferenceId: string;
  carrierCode: string;
  trackingNumber: string;
  items: { orderItemId: string; quantity: number }[];
  at: number;
}

export interface OrderChangeNotification {
  NotificationVersion: string;
  NotificationType: 'ORDER_CHANGE';
  PayloadVersion: string;
  EventTime: string;
  Payload: { OrderChangeNotification: Record<string, unknown> };
  NotificationMetadata: { ApplicationId: string; SubscriptionId: string; PublishTime: string; NotificationId: string };
}

export interface SeedOptions {
  listings?: number;
  /**
   * Seller SKUs of the seeded listings, in order, instead of `SIM-000001`…, so a benchmark's listings carry a
   * store's SKUs; seeds `skus.length` listings when `listings` is not given (else the first `listings`).
   */
  skus?: readonly string[];
  orders?: number;
  fbaInventory?: number;
  seed?: number;
}

export interface PlaceOrderInput {
  orderId?: string;
  marketplaceId?: string;
  status?: FulfillmentStatus;
  fulfilledBy?: 'MERCHANT' | 'AMAZON';
  items?: { sku: string; quantity: number; unitPrice?: string; title?: string; asin?: string }[];
  buyer?: { buyerName?: string; buyerEmail?: string } | null;
  address?: SimAddress | null;
  createdTime?: number;
}

const FIRST = ['Ana', 'Ben', 'Chloe', 'Dev', 'Elif', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jon', 'Kemal', 'Lena'];
const LAST = ['Smith', 'Garcia', 'Müller', 'Rossi', 'Tanaka', 'Okafor', 'Novak', 'Silva', 'Khan', 'Dubois'];
const CITIES: [string, string, string][] = [
  ['Seattle', 'WA', '98101'],
  ['Austin', 'TX', '73301'],
  ['Denver', 'CO', '80202'],
  ['Boston', 'MA', '02108'],
  ['Chicago', 'IL', '60601'],
];

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** EAN-13 with a valid check digit for a number. */
export function ean13(n: number): string {
  const body = '40' + pad(n % 10_000_000_000, 10);
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(body[i]) * (i % 2 === 0 ? 1 : 3);
  return body + String((10 - (sum % 10)) % 10);
}

export function asinFor(n: number): string {
  return 'B0' + n.toString(36).toUpperCase().padStart(8, '0');
}

export class AmazonState {
  readonly orders = new Map<string, SimOrder>();
  readonly listings = new Map<string, SimListing>();
  readonly fbaInventory = new Map<string, SimInventory>();
  readonly catalog = new Map<string, SimCatalogItem>();
  readonly feeds = new Map<string, SimFeed>();
  readonly feedDocuments = new Map<string, SimFeedDocument>();
  readonly destinations = new Map<string, { destinationId: string; name: string; resource: Record<string, unknown> }>();
  readonly subscriptions = new Map<string, { subscriptionId: string; notificationType: string; payloadVersion: string; destinationId: string; processingDirective?: unknown }>();
  /** ORDER_CHANGE payloads in the order they were emitted (whether or not a subscription exists). */
  readonly notifications: OrderChangeNotification[] = [];
  /** Packages confirmed per order, in order. */
  readonly confirmations = new Map<string, Confirmation[]>();
  readonly listingWrites: ListingWrite[] = [];
  /** Revision of each product type definition; bumpProductType publishes a new version (new checksum). */
  readonly productTypeRevisions = new Map<string, number>();
  /** Called with every ORDER_CHANGE payload emitted (the simulator validates them against the schema). */
  onEmit: ((n: OrderChangeNotification) => void) | undefined;
  #seq = 0;

  constructor(
    readonly sellerId: string,
    readonly marketplaceIds: string[],
    readonly clock: () => number,
    readonly applicationId = 'amzn1.sellerapps.app.simulated-0000-4000-8000-000000000001',
  ) {}

  get marketplaceId(): string {
    return this.marketplaceIds[0] as string;
  }

  currencyOf(marketplaceId: string): string {
    return MARKETPLACES[marketplaceId]?.currency ?? 'USD';
  }

  nextId(): number {
    return ++this.#seq;
  }

  // ---------------------------------------------------------------- seeding

  /**
   * Deterministic data for a seed: listings (PRODUCT/SHIRT/LUGGAGE, with EANs and catalog items), FBA
   * inventory for some of them, and orders over the last 30 days with the mix of the interface (about
   * 70% MFN Unshipped/Shipped/PartiallyShipped, 15% AFN, 10% Pending, the rest Canceled).
   */
  seed(opts: SeedOptions): void {
    const rand = prng(opts.seed ?? 42);
    const now = this.clock();
    const mp = this.marketplaceId;
    const currency = this.currencyOf(mp);
    const nListings = opts.listings ?? opts.skus?.length ?? 0;
    if (opts.skus && opts.skus.length < nListings) throw new Error(`seed: ${nListings} listings but only ${opts.skus.length} skus`);
    const base = this.listings.size;
    const skuAt = (i: number) => opts.skus?.[i] ?? `SIM-${pad(base + i + 1, 6)}`;
    for (let i = 0; i < nListings; i++) {
      const n = base + i + 1;
      // Variation families: listing 20 (then 40, 60, …) is a SHIRT parent, the two after it its children. The
      // parent takes one of the FBA slots (every 10th), so the merchant-fulfilled share stays 90%.
      const isParent = i % 20 === 19 && i + 2 < nListings;
      const parentIndex = (i % 20 === 0 || i % 20 === 1) && i >= 20 ? i - (i % 20) - 1 : -1;
      const productType: ProductTypeName = i % 5 === 0 || isParent || parentIndex >= 0 ? 'SHIRT' : i % 7 === 0 ? 'LUGGAGE' : 'PRODUCT';
      const sku = skuAt(i);
      const asin = asinFor(n);
      const price = (5 + Math.floor(rand() * 9500) / 100).toFixed(2);
      const fba = i % 10 === 9 && !isParent;
      const attributes: Record<string, unknown[]> = {
        item_name: [{ value: `Simulated ${productType.toLowerCase()} ${n}`, language_tag: 'en_US', marketplace_id: mp }],
        brand: [{ value: 'Switchyard Sim', language_tag: 'en_US', marketplace_id: mp }],
        condition_type: [{ value: 'new_new', marketplace_id: mp }],
        externally_assigned_product_identifier: [{ type: 'ean', value: ean13(n), marketplace_id: mp }],
        purchasable_offer: [{ currency, marketplace_id: mp, audience: 'ALL', our_price: [{ schedule: [{ value_with_tax: Number(price) }] }] }],
        fulfillment_availability: fba
          ? [{ fulfillment_channel_code: 'AMAZON_NA' }]
          : [{ fulfillment_channel_code: 'DEFAULT', quantity: Math.floor(rand() * 200) }],
      };
      if (productType === 'SHIRT') {
        attributes.department = [{ value: 'unisex-adult', language_tag: 'en_US', marketplace_id: mp }];
        attributes.color = [{ value: ['Black', 'White', 'Navy'][n % 3], language_tag: 'en_US', marketplace_id: mp }];
        attributes.size = [{ value: ['S', 'M', 'L', 'XL'][n % 4], language_tag: 'en_US', marketplace_id: mp }];
      }
      if (isParent) {
        // A parent is not sold itself: no offer, no stock.
        attributes.parentage_level = [{ value: 'parent', marketplace_id: mp }];
        attributes.variation_theme = [{ name: 'SIZE/COLOR', marketplace_id: mp }];
        delete attributes.purchasable_offer;
        delete attributes.fulfillment_availability;
      }
      if (parentIndex >= 0) {
        attributes.parentage_level = [{ value: 'child', marketplace_id: mp }];
        attributes.child_parent_sku_relationship = [{ child_relationship_type: 'variation', parent_sku: skuAt(parentIndex), marketplace_id: mp }];
      }
      if (productType === 'LUGGAGE') attributes.color = [{ value: 'Graphite', language_tag: 'en_US', marketplace_id: mp }];
      const created = now - 90 * 86_400_000 + Math.floor(rand() * 60 * 86_400_000);
      this.listings.set(sku, {
        sku,
        productType,
        marketplaceId: mp,
        asin,
        attributes,
        createdDate: created,
        lastUpdatedDate: created + Math.floor(rand() * 86_400_000),
        // Every 25th listing carries a warning, as live catalogues do (withIssueSeverity finds them).
        issues:
          i % 25 === 24
            ? [{ code: '18027', message: "The 'bullet_point' attribute is recommended for this product type.", severity: 'WARNING', attributeNames: ['bullet_point'], categories: ['MISSING_ATTRIBUTE'] }]
            : [],
        ...(fba ? { fnSku: 'X00' + asin.slice(3) } : {}),
      });
      this.catalog.set(asin, {
        asin,
        marketplaceId: mp,
        itemName: `Simulated ${productType.toLowerCase()} ${n}`,
        brand: 'Switchyard Sim',
        identifiers: [
          { identifierType: 'EAN', identifier: ean13(n) },
          { identifierType: 'UPC', identifier: ean13(n).slice(1) },
        ],
        productType,
      });
    }
    // FBA stock belongs to FBA listings (fulfillment channel AMAZON_NA): first the seeded FBA listings, then
    // more listings converted to FBA from the end of the catalogue, then FBA-only SKUs without a listing.
    const fbaSkus = [...this.listings.values()].filter((l) => l.fnSku && !this.fbaInventory.has(l.sku)).map((l) => l.sku);
    const nInv = opts.fbaInventory ?? 0;
    const convertible = [...this.listings.values()].filter((l) => !l.fnSku).reverse();
    for (let i = 0; i < nInv; i++) {
      let listing = fbaSkus[i] !== undefined ? this.listings.get(fbaSkus[i] as string) : undefined;
      if (!listing && convertible.length > 0) {
        listing = convertible.shift() as SimListing;
        listing.fnSku = 'X00' + (listing.asin ?? asinFor(i)).slice(3);
        listing.attributes.fulfillment_availability = [{ fulfillment_channel_code: 'AMAZON_NA' }];
      }
      const sku = listing ? listing.sku : `FBA-${pad(this.fbaInventory.size + 1, 6)}`;
      const asin = listing?.asin ?? asinFor(500_000 + i);
      this.fbaInventory.set(sku, {
        sellerSku: sku,
        asin,
        fnSku: listing?.fnSku ?? 'X00' + asin.slice(3),
        productName: listing ? String((listing.attributes.item_name?.[0] as { value: string }).value) : `FBA item ${i + 1}`,
        condition: 'NewItem',
        fulfillable: Math.floor(rand() * 500),
        inboundWorking: Math.floor(rand() * 20),
        inboundShipped: Math.floor(rand() * 20),
        inboundReceiving: Math.floor(rand() * 10),
        reserved: Math.floor(rand() * 15),
        unfulfillable: Math.floor(rand() * 5),
        researching: Math.floor(rand() * 3),
        lastUpdatedTime: now - Math.floor(rand() * 7 * 86_400_000),
      });
    }
    const skus = [...this.listings.keys()];
    // Variation parents are not sold; orders reference sellable listings.
    const mfnPool = skus.filter((k) => !this.listings.get(k)?.fnSku && this.listings.get(k)?.attributes.purchasable_offer);
    const afnPool = skus.filter((k) => this.listings.get(k)?.fnSku);
    const nOrders = opts.orders ?? 0;
    const span = 30 * 86_400_000;
    for (let i = 0; i < nOrders; i++) {
      const r = rand();
      const fulfilledBy = r < 0.15 ? 'AMAZON' : 'MERCHANT';
      const s = rand();
      let status: FulfillmentStatus;
      if (s < 0.1) status = 'PENDING';
      else if (s < 0.15) status = 'CANCELLED';
      else if (fulfilledBy === 'AMAZON') status = 'SHIPPED';
      else status = s < 0.5 ? 'UNSHIPPED' : s < 0.6 ? 'PARTIALLY_SHIPPED' : 'SHIPPED';
      const created = now - span + Math.floor((i / Math.max(1, nOrders)) * (span - 10 * 60_000)) + Math.floor(rand() * 60_000);
      const nItems = 1 + Math.floor(rand() * 3);
      const items: SimOrderItem[] = [];
      const orderId = this.#orderId(i + 1);
      for (let k = 0; k < nItems; k++) {
        // AFN orders sell FBA listings, MFN orders merchant-fulfilled ones (when the catalogue has them).
        const pool = fulfilledBy === 'AMAZON' && afnPool.length ? afnPool : mfnPool.length ? mfnPool : skus;
        const listing = pool.length ? this.listings.get(pool[Math.floor(rand() * pool.length)] as string) : undefined;
        const qty = 1 + Math.floor(rand() * 3);
        const offer = listing?.attributes.purchasable_offer?.[0] as { our_price?: { schedule: { value_with_tax: number }[] }[] } | undefined;
        const price = offer?.our_price?.[0]?.schedule[0]?.value_with_tax ?? 9.99;
        items.push({
          orderItemId: pad(10_000_000_000_000 + (i + 1) * 10 + k, 14),
          sku: listing?.sku ?? `SIM-ITEM-${k}`,
          asin: listing?.asin ?? asinFor(900_000 + k),
          title: listing ? String((listing.attributes.item_name?.[0] as { value: string }).value) : `Item ${k}`,
          quantityOrdered: qty,
          quantityShipped: 0,
          unitPrice: price.toFixed(2),
          itemTax: (price * 0.08).toFixed(2),
        });
      }
      const first = FIRST[Math.floor(rand() * FIRST.length)] as string;
      const last = LAST[Math.floor(rand() * LAST.length)] as string;
      const city = CITIES[Math.floor(rand() * CITIES.length)] as [string, string, string];
      const order: SimOrder = {
        orderId,
        marketplaceId: mp,
        createdTime: created,
        lastUpdatedTime: created + (status === 'PENDING' ? 0 : Math.floor(rand() * 3_600_000)),
        status,
        fulfilledBy,
        currency,
        buyer: { buyerName: `${first} ${last}`, buyerEmail: `${orderId.replace(/-/g, '')}@marketplace.amazon.com` },
        address:
          fulfilledBy === 'AMAZON'
            ? rand() < 0.5
              ? null
              : { city: city[0], stateOrRegion: city[1], postalCode: city[2], countryCode: MARKETPLACES[mp]?.countryCode ?? 'US' }
            : {
                name: `${first} ${last}`,
                addressLine1: `${1 + Math.floor(rand() * 9000)} Simulated Ave`,
                city: city[0],
                stateOrRegion: city[1],
                postalCode: city[2],
                countryCode: MARKETPLACES[mp]?.countryCode ?? 'US',
                addressType: 'RESIDENTIAL',
              },
        items,
        packages: [],
        programs: rand() < 0.3 ? ['PRIME'] : [],
        shippingPrice: fulfilledBy === 'AMAZON' ? '0.00' : '4.99',
      };
      if (status === 'SHIPPED' || status === 'PARTIALLY_SHIPPED') {
        const shipItems = status === 'SHIPPED' ? items : items.slice(0, 1);
        for (const it of shipItems) it.quantityShipped = it.quantityOrdered;
        if (status === 'PARTIALLY_SHIPPED' && items.length === 1) {
          const only = items[0] as SimOrderItem;
          only.quantityOrdered = Math.max(2, only.quantityOrdered);
          only.quantityShipped = 1;
        }
        if (fulfilledBy === 'MERCHANT') {
          order.packages.push({
            packageReferenceId: '1',
            carrierCode: 'UPS',
            trackingNumber: `1Z${pad(i, 16)}`,
            shipDate: new Date(order.lastUpdatedTime).toISOString(),
            createdTime: new Date(order.lastUpdatedTime).toISOString(),
            items: shipItems.map((it) => ({ orderItemId: it.orderItemId, quantity: it.quantityShipped })),
          });
        }
      }
      this.orders.set(orderId, order);
    }
  }

  #orderId(n: number): string {
    return `${pad(111 + (n % 800), 3)}-${pad(n, 7)}-${pad((n * 7919) % 10_000_000, 7)}`;
  }

  // ---------------------------------------------------------------- orders

  /** A new order (Unshipped by default, or Pending), emitted as an ORDER_CHANGE notification. */
  placeOrder(input: PlaceOrderInput = {}): SimOrder {
    const now = input.createdTime ?? this.clock();
    const mp = input.marketplaceId ?? this.marketplaceId;
    const n = this.orders.size + 1_000_000 + this.nextId();
    const orderId = input.orderId ?? this.#orderId(n);
    const skus = [...this.listings.keys()];
    const lines = input.items ?? [{ sku: skus[0] ?? 'SIM-PLACED-1', quantity: 1 }];
    const items = lines.map((l, k): SimOrderItem => {
      const listing = this.listings.get(l.sku);
      const offer = listing?.attributes.purchasable_offer?.[0] as { our_price?: { schedule: { value_with_tax: number }[] }[] } | undefined;
      const price = l.unitPrice ?? (offer?.our_price?.[0]?.schedule[0]?.value_with_tax ?? 19.99).toFixed(2);
      return {
        orderItemId: pad(20_000_000_000_000 + n * 10 + k, 14),
        sku: l.sku,
        asin: l.asin ?? listing?.asin ?? asinFor(800_000 + k),
        title: l.title ?? (listing ? String((listing.attributes.item_name?.[0] as { value: string }).value) : l.sku),
        quantityOrdered: l.quantity,
        quantityShipped: 0,
        unitPrice: price,
        itemTax: (Number(price) * 0.08).toFixed(2),
      };
    });
    const fulfilledBy = input.fulfilledBy ?? 'MERCHANT';
    const order: SimOrder = {
      orderId,
      marketplaceId: mp,
      createdTime: now,
      lastUpdatedTime: now,
      status: input.status ?? 'UNSHIPPED',
      fulfilledBy,
      currency: this.currencyOf(mp),
      buyer: input.buyer === undefined ? { buyerName: 'Placed Buyer', buyerEmail: `${orderId.replace(/-/g, '')}@marketplace.amazon.com` } : input.buyer,
      address:
        input.address === undefined
          ? fulfilledBy === 'AMAZON'
            ? null
            : { name: 'Placed Buyer', addressLine1: '1 Test Street', city: 'Seattle', stateOrRegion: 'WA', postalCode: '98101', countryCode: 'US', addressType: 'RESIDENTIAL' }
          : input.address,
      items,
      packages: [],
      programs: [],
      shippingPrice: fulfilledBy === 'AMAZON' ? '0.00' : '4.99',
    };
    this.orders.set(orderId, order);
    this.emitOrderChange(order, 'OrderStatusChange');
    return order;
  }

  /** Moves an order to a status (e.g. Pending -> Unshipped when payment clears), emitting ORDER_CHANGE. */
  setOrderStatus(orderId: string, status: FulfillmentStatus): SimOrder {
    const order = this.orders.get(orderId);
    if (!order) throw new Error(`no order ${orderId}`);
    order.status = status;
    if (status === 'SHIPPED') for (const it of order.items) it.quantityShipped = it.quantityOrdered;
    this.touchOrder(order);
    this.emitOrderChange(order, 'OrderStatusChange');
    return order;
  }

  /**
   * The buyer asks to cancel (the order stays as it is until the seller cancels or ships): the items carry
   * the request and an ORDER_CHANGE with OrderChangeType BuyerRequestedChange is emitted.
   */
  requestCancellation(orderId: string, reason = 'Buyer no longer needs the item'): SimOrder {
    const order = this.orders.get(orderId);
    if (!order) throw new Error(`no order ${orderId}`);
    for (const it of order.items) if (it.quantityShipped < it.quantityOrdered) it.cancelRequest = { reason, at: this.clock() };
    this.touchOrder(order);
    this.emitOrderChange(order, 'BuyerRequestedChange');
    return order;
  }

  /** Amazon publishes a new version of a product type: its schema document and checksum change. */
  bumpProductType(productType: string): number {
    const next = (this.productTypeRevisions.get(productType) ?? 0) + 1;
    this.productTypeRevisions.set(productType, next);
    return next;
  }

  /** Marks an order updated now (strictly after its last update, so lastUpdatedAfter windows see it). */
  touchOrder(order: SimOrder): void {
    order.lastUpdatedTime = Math.max(this.clock(), order.lastUpdatedTime + 1);
  }

  /** The ORDER_CHANGE payload of an order as it is now, appended to `notifications`. */
  emitOrderChange(order: SimOrder, changeType: 'OrderStatusChange' | 'BuyerRequestedChange' = 'OrderStatusChange'): OrderChangeNotification {
    const now = new Date(this.clock()).toISOString();
    const sub = [...this.subscriptions.values()].find((s) => s.notificationType === 'ORDER_CHANGE');
    const shipped = order.items.reduce((a, it) => a + it.quantityShipped, 0);
    const ordered = order.items.reduce((a, it) => a + it.quantityOrdered, 0);
    const n: OrderChangeNotification = {
      NotificationVersion: '1.0',
      NotificationType: 'ORDER_CHANGE',
      PayloadVersion: '1.0',
      EventTime: now,
      Payload: {
        OrderChangeNotification: {
          NotificationLevel: 'OrderLevel',
          SellerId: this.sellerId,
          AmazonOrderId: order.orderId,
          OrderChangeType: changeType,
          OrderChangeTrigger: { TimeOfOrderChange: new Date(order.lastUpdatedTime).toISOString(), ChangeReason: changeType === 'OrderStatusChange' ? 'Order status changed' : 'Buyer requested change' },
          Summary: {
            MarketplaceId: order.marketplaceId,
            OrderStatus: LEGACY_STATUS[order.status],
            PurchaseDate: new Date(order.createdTime).toISOString(),
            DestinationPostalCode: order.status === 'PENDING' ? null : (order.address?.postalCode ?? null),
            FulfillmentType: order.fulfilledBy === 'AMAZON' ? 'AFN' : 'MFN',
            OrderType: 'StandardOrder',
            NumberOfItemsShipped: shipped,
            NumberOfItemsUnshipped: ordered - shipped,
            OrderPrograms: [],
            ShippingPrograms: [],
            OrderItems: order.items.map((it) => ({
              OrderItemId: it.orderItemId,
              SellerSKU: it.sku,
              SupplySourceId: null,
              OrderItemStatus: it.quantityShipped >= it.quantityOrdered ? 'Shipped' : 'Unshipped',
              Quantity: it.quantityOrdered,
              QuantityShipped: it.quantityShipped,
              ...(it.cancelRequest ? { IsBuyerRequestedCancel: true } : {}),
            })),
          },
        },
      },
      NotificationMetadata: {
        ApplicationId: this.applicationId,
        SubscriptionId: sub?.subscriptionId ?? 'sim-unsubscribed',
        PublishTime: now,
        NotificationId: randomUUID(),
      },
    };
    this.notifications.push(n);
    this.onEmit?.(n);
    return n;
  }

  // ---------------------------------------------------------------- listings

  /** Applies JSON patch operations (add/replace/merge/delete on /attributes/NAME) to a copy of the attributes. */
  static applyPatches(attributes: Record<string, unknown[]>, patches: { op: string; path: string; value?: unknown[] }[]): Record<string, unknown[]> {
    const out: Record<string, unknown[]> = structuredClone(attributes);
    for (const p of patches) {
      const name = p.path.replace(/^\/attributes\//, '');
      if (p.op === 'delete') {
        if (!p.value || p.value.length === 0) delete out[name];
        else {
          const drop = new Set(p.value.map((v) => JSON.stringify(v)));
          out[name] = (out[name] ?? []).filter((v) => !drop.has(JSON.stringify(v)));
          if (out[name]?.length === 0) delete out[name];
        }
      } else if (p.op === 'merge' && Array.isArray(out[name])) {
        // Merge each value into the existing value with the same first selector, else append.
        const merged = [...(out[name] as Record<string, unknown>[])];
        for (const v of p.value ?? []) {
          const val = v as Record<string, unknown>;
          const key = Object.keys(val).find((k) => k.endsWith('_code') || k === 'marketplace_id' || k === 'type');
          const idx = key ? merged.findIndex((m) => m[key] === val[key]) : -1;
          if (idx >= 0) merged[idx] = { ...merged[idx], ...val };
          else merged.push(val);
        }
        out[name] = merged;
      } else {
        out[name] = structuredClone(p.value ?? []);
      }
    }
    return out;
  }

  /**
   * Validates and (unless `preview`) applies a listing submission. New SKUs are checked against the full
   * requirements of the product type; patches of existing listings against the patched attributes only.
   */
  submitListing(args: {
    sku: string;
    productType: string;
    kind: 'patch' | 'put' | 'partial';
    patches?: { op: string; path: string; value?: unknown[] }[];
    attributes?: Record<string, unknown[]>;
    requirements?: Requirements;
    marketplaceId?: string;
    preview?: boolean;
    via: string;
  }): { status: 'ACCEPTED' | 'INVALID' | 'VALID'; submissionId: string; issues: ListingIssue[]; listing?: SimListing } {
    const submissionId = randomUUID().replace(/-/g, '');
    const existing = this.listings.get(args.sku);
    let attributes: Record<string, unknown[]>;
    let only: string[] | undefined;
    if (args.kind === 'put') {
      attributes = structuredClone(args.attributes ?? {});
    } else if (args.kind === 'partial') {
      attributes = { ...(existing ? structuredClone(existing.attributes) : {}), ...structuredClone(args.attributes ?? {}) };
      if (existing) only = Object.keys(args.attributes ?? {});
    } else {
      attributes = AmazonState.applyPatches(existing?.attributes ?? {}, args.patches ?? []);
      if (existing) only = (args.patches ?? []).map((p) => p.path.replace(/^\/attributes\//, ''));
    }
    const badPaths = (args.patches ?? []).filter((p) => !/^\/attributes\/[a-z0-9_]+$/.test(p.path));
    const issues: ListingIssue[] = badPaths.map((p) => ({
      code: '4000001',
      message: `The patch path '${p.path}' is invalid: only /attributes/{attributeName} can be patched.`,
      severity: 'ERROR',
      attributeNames: [],
      categories: ['INVALID_ATTRIBUTE'],
    }));
    issues.push(...validateAttributes(args.productType, attributes, args.requirements ?? 'LISTING', only));
    const invalid = issues.some((i) => i.severity === 'ERROR');
    if (invalid) return { status: 'INVALID', submissionId, issues };
    if (args.preview) return { status: 'VALID', submissionId, issues };
    const now = this.clock();
    const listing: SimListing = existing ?? {
      sku: args.sku,
      productType: args.productType,
      marketplaceId: args.marketplaceId ?? this.marketplaceId,
      asin: asinFor(700_000 + this.listings.size + this.nextId()),
      attributes: {},
      createdDate: now,
      lastUpdatedDate: now,
      issues: [],
    };
    listing.attributes = attributes;
    listing.productType = args.productType;
    listing.lastUpdatedDate = Math.max(now, listing.lastUpdatedDate + 1);
    this.listings.set(args.sku, listing);
    this.listingWrites.push({
      sku: args.sku,
      kind: args.kind === 'put' ? 'put' : args.via === 'feed' ? 'feed' : 'patch',
      via: args.via,
      submissionId,
      at: now,
      detail: args.patches ?? args.attributes,
    });
    return { status: 'ACCEPTED', submissionId, issues, listing };
  }

  deleteListing(sku: string, via: string): { submissionId: string; existed: boolean } {
    const submissionId = randomUUID().replace(/-/g, '');
    const existed = this.listings.delete(sku);
    if (existed) this.listingWrites.push({ sku, kind: 'delete', via, submissionId, at: this.clock(), detail: null });
    return { submissionId, existed };
  }

  /** Quantity of a listing's merchant-fulfilled stock (DEFAULT channel), or null. */
  quantityOf(sku: string): number | null {
    const fa = this.listings.get(sku)?.attributes.fulfillment_availability as { fulfillment_channel_code: string; quantity?: number }[] | undefined;
    const d = fa?.find((f) => f.fulfillment_channel_code === 'DEFAULT');
    return d?.quantity ?? null;
  }

  /** The listing's price (our_price of the first offer), or null. */
  priceOf(sku: string): number | null {
    const offer = this.listings.get(sku)?.attributes.purchasable_offer?.[0] as { our_price?: { schedule: { value_with_tax: number }[] }[] } | undefined;
    return offer?.our_price?.[0]?.schedule[0]?.value_with_tax ?? null;
  }
}

// Listings Items 2021-08-01: reading listings (products and merchant-fulfilled stock), FBA stock from the
// FBA Inventory API, and single writes by patchListingsItem / putListingsItem.
import { z } from 'zod';
import { AppError, isAppError } from '../../core/errors.ts';
import type { ItemIssue, ListingInput, PullPage, PullRequest, RawRecord, SetStockInput, UpdatePriceInput, UpdateProductInput, WriteResult } from '../../core/ports.ts';
import { inventoryLevelId } from '../../core/ports.ts';
import type { SpApiClient } from './client.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { listingUpdatedAt, MFN_LOCATION, SpListing, type StockRecord } from './map.ts';
import { withTokenRestart } from './orders.ts';
import { AFN_CHANNEL_CODE } from './marketplaces.ts';

const LISTING_DATA = ['summaries', 'attributes', 'issues', 'offers', 'fulfillmentAvailability', 'productTypes'] as const;
const PAGE_SIZE = 20;

const SearchResults = z.object({ numberOfResults: z.number().int().nullish(), items: z.array(z.unknown()), pagination: z.object({ nextToken: z.string().nullish() }).nullish() });
const Submission = z.object({
  sku: z.string(),
  status: z.enum(['ACCEPTED', 'INVALID', 'VALID']),
  submissionId: z.string().nullish(),
  issues: z.array(z.object({ code: z.string(), message: z.string(), severity: z.string(), attributeNames: z.array(z.string()).nullish() })).nullish(),
});
export type Submission = z.infer<typeof Submission>;
const InventoryResponse = z.object({
  payload: z.object({ inventorySummaries: z.array(z.unknown()) }).nullish(),
  pagination: z.object({ nextToken: z.string().nullish() }).nullish(),
});

const ListCursor = z.object({ token: z.string().min(1), after: z.string().nullable(), before: z.string().nullable() });
const StockCursor = z.object({
  phase: z.enum(['mfn', 'fba']),
  token: z.string().nullable(),
  after: z.string().nullable(),
  before: z.string(),
  observed_at: z.string(),
});

function parse<T>(schema: z.ZodType<T>, op: string, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new AppError('upstream_unavailable', `amazon ${op} answered an unexpected body`);
  return r.data;
}

/** The issues of a listings submission, as the adapter reports them. */
export function submissionIssues(sku: string, s: Submission): ItemIssue[] {
  return (s.issues ?? [])
    .filter((i) => i.severity === 'ERROR' || i.severity === 'WARNING')
    .map((i) => ({ sku, code: i.code, message: i.message, severity: i.severity === 'ERROR' ? ('error' as const) : ('warning' as const), attribute: i.attributeNames?.[0] ?? null }));
}

export class Listings {
  /** Product type per SKU, learned from every listing read: patches need it. */
  readonly productTypes = new Map<string, string>();

  constructor(private readonly client: SpApiClient) {}

  get #seller(): string {
    return encodeURIComponent(this.client.ctx.settings.seller_id);
  }
  get marketplace(): string {
    return this.client.ctx.settings.marketplace_ids[0]!;
  }

  #remember(item: unknown): SpListing | null {
    const r = SpListing.safeParse(item);
    if (!r.success) return null;
    const pt = r.data.summaries?.find((s) => s.productType)?.productType ?? r.data.productTypes?.[0]?.productType;
    if (pt) this.productTypes.set(r.data.sku, pt);
    return r.data;
  }

  async #search(includedData: readonly string[], after: string | null, before: string | null, token: string | null) {
    return parse(SearchResults, 'searchListingsItems', await withTokenRestart(this.client, 'searchListingsItems', token, (t) => this.#searchOnce(includedData, after, before, t)));
  }

  #searchOnce(includedData: readonly string[], after: string | null, before: string | null, token: string | null) {
    return this.client.call({
        op: 'searchListingsItems',
        method: 'GET',
        path: `/listings/2021-08-01/items/${this.#seller}`,
        query: {
          marketplaceIds: [this.marketplace],
          includedData,
          lastUpdatedAfter: after ?? undefined,
          lastUpdatedBefore: before ?? undefined,
          sortBy: 'lastUpdatedDate',
          sortOrder: 'ASC',
          pageSize: PAGE_SIZE,
          pageToken: token ?? undefined,
        },
      });
  }

  /**
   * One page of listings updated in the window. A full pass lists every listing, without an upper bound:
   * it decides which listings are gone, and one changed in the last minutes must not look deleted.
   */
  async pullProducts(request: PullRequest): Promise<PullPage> {
    const c = request.cursor ? decodeCursor(ListCursor, request.cursor) : { token: null, after: request.window.from, before: request.full ? null : request.window.to };
    if (c.after && c.before && Date.parse(c.after) >= Date.parse(c.before)) return { records: [], next: null };
    const res = await this.#search(LISTING_DATA, c.after, c.before, c.token);
    const records: RawRecord[] = res.items.map((item) => {
      const l = this.#remember(item);
      if (!l) throw new AppError('upstream_unavailable', 'amazon searchListingsItems answered an item without a sku');
      return { external_id: l.sku, updated_at: listingUpdatedAt(l), payload: item };
    });
    const next = res.pagination?.nextToken ? encodeCursor({ token: res.pagination.nextToken, after: c.after, before: c.before }) : null;
    return { records, next };
  }

  /**
   * Stock in two phases: merchant-fulfilled quantities from the listings' fulfillmentAvailability, then
   * FBA quantities from getInventorySummaries (fulfillment channel `marketplace`).
   */
  async pullInventory(request: PullRequest): Promise<PullPage> {
    const c = request.cursor
      ? decodeCursor(StockCursor, request.cursor)
      : { phase: 'mfn' as const, token: null, after: request.window.from, before: request.window.to, observed_at: new Date().toISOString() };
    if (c.after && Date.parse(c.after) >= Date.parse(c.before)) return { records: [], next: null };
    if (c.phase === 'mfn') {
      const res = await this.#search(['summaries', 'fulfillmentAvailability'], c.after, c.before, c.token);
      const records: RawRecord[] = [];
      for (const item of res.items) {
        const l = this.#remember(item);
        if (!l) throw new AppError('upstream_unavailable', 'amazon searchListingsItems answered an item without a sku');
        const mfn = l.fulfillmentAvailability?.find((f) => f.fulfillmentChannelCode === MFN_LOCATION);
        if (!mfn || mfn.quantity === null || mfn.quantity === undefined) continue;
        const payload: StockRecord = { source: 'listing', sku: l.sku, quantity: mfn.quantity, updated_at: listingUpdatedAt(l) };
        records.push({ external_id: inventoryLevelId(l.sku, MFN_LOCATION), updated_at: payload.updated_at, payload });
      }
      const token = res.pagination?.nextToken ?? null;
      return { records, next: encodeCursor(token ? { ...c, token } : { ...c, phase: 'fba', token: null }) };
    }
    const location = AFN_CHANNEL_CODE[this.client.ctx.settings.region];
    const summaries = (token: string | null) =>
      this.client.call({
        op: 'getInventorySummaries',
        method: 'GET',
        path: '/fba/inventory/v1/summaries',
        query: {
          details: true,
          granularityType: 'Marketplace',
          granularityId: this.marketplace,
          marketplaceIds: [this.marketplace],
          startDateTime: c.after ?? undefined,
          nextToken: token ?? undefined,
        },
      });
    const res = parse(InventoryResponse, 'getInventorySummaries', await withTokenRestart(this.client, 'getInventorySummaries', c.token, summaries));
    const records: RawRecord[] = [];
    for (const summary of res.payload?.inventorySummaries ?? []) {
      const sku = (summary as { sellerSku?: unknown }).sellerSku;
      if (typeof sku !== 'string' || !sku) continue;
      const payload = { source: 'fba', summary, location, observed_at: c.observed_at };
      const updated = (summary as { lastUpdatedTime?: unknown }).lastUpdatedTime;
      records.push({ external_id: inventoryLevelId(sku, location), updated_at: typeof updated === 'string' && updated ? updated : c.observed_at, payload });
    }
    const token = res.pagination?.nextToken ?? null;
    return { records, next: token ? encodeCursor({ ...c, token }) : null };
  }

  async get(sku: string, includedData: readonly string[] = LISTING_DATA): Promise<SpListing | null> {
    try {
      const item = await this.client.call({
        op: 'getListingsItem',
        method: 'GET',
        path: `/listings/2021-08-01/items/${this.#seller}/${encodeURIComponent(sku)}`,
        query: { marketplaceIds: [this.marketplace], includedData },
      });
      const l = this.#remember(item);
      if (!l) throw new AppError('upstream_unavailable', `amazon getListingsItem ${sku} answered an unexpected body`);
      return l;
    } catch (err) {
      if (isAppError(err) && err.kind === 'not_found') return null;
      throw err;
    }
  }

  async fetchRaw(sku: string): Promise<RawRecord | null> {
    const l = await this.get(sku);
    return l ? { external_id: l.sku, updated_at: listingUpdatedAt(l), payload: l } : null;
  }

  /** The listing's product type: remembered from reads, else read. */
  async productTypeOf(sku: string): Promise<string> {
    const known = this.productTypes.get(sku);
    if (known) return known;
    const l = await this.get(sku, ['summaries', 'productTypes']);
    const pt = l ? this.productTypes.get(sku) : undefined;
    if (!pt) throw new AppError('not_found', `amazon has no listing for sku ${sku} in marketplace ${this.marketplace}`);
    return pt;
  }

  async patch(sku: string, productType: string, patches: { op: 'replace' | 'add' | 'delete' | 'merge'; path: string; value?: unknown[] }[]): Promise<Submission> {
    const res = await this.client.call({
      op: 'patchListingsItem',
      method: 'PATCH',
      path: `/listings/2021-08-01/items/${this.#seller}/${encodeURIComponent(sku)}`,
      query: { marketplaceIds: [this.marketplace], includedData: ['issues'] },
      body: { productType, patches },
    });
    return parse(Submission, 'patchListingsItem', res);
  }

  async put(input: ListingInput): Promise<Submission> {
    const res = await this.client.call({
      op: 'putListingsItem',
      method: 'PUT',
      path: `/listings/2021-08-01/items/${this.#seller}/${encodeURIComponent(input.sku)}`,
      query: { marketplaceIds: [input.marketplace_id ?? this.marketplace], includedData: ['issues'] },
      body: { productType: input.product_type, requirements: input.offer_only ? 'LISTING_OFFER_ONLY' : 'LISTING', attributes: input.attributes },
    });
    return parse(Submission, 'putListingsItem', res);
  }

  /** A refused submission is a validation error naming the attributes Amazon named. */
  #check(op: string, sku: string, s: Submission): void {
    if (s.status !== 'INVALID') return;
    const issues = submissionIssues(sku, s).filter((i) => i.severity === 'error');
    throw new AppError('validation', `amazon ${op} refused sku ${sku}: ${issues.map((i) => `${i.attribute ?? i.code}: ${i.message}`).join('; ').slice(0, 500)}`, {
      retriable: false,
      errors: issues.map((i) => ({ path: i.attribute ?? i.code, message: i.message })),
    });
  }

  /**
   * Merchant-fulfilled quantity by patch. The current quantity is read first: a retry of a patch that
   * went through finds the quantity already set and sends nothing.
   */
  async setStock(input: SetStockInput): Promise<WriteResult> {
    checkStockLocation(input);
    const l = await this.get(input.sku, ['summaries', 'fulfillmentAvailability', 'productTypes']);
    if (!l) throw new AppError('not_found', `amazon has no listing for sku ${input.sku}`);
    const current = l.fulfillmentAvailability?.find((f) => f.fulfillmentChannelCode === MFN_LOCATION)?.quantity;
    if (current === input.quantity) return { external_id: input.sku, data: { quantity: input.quantity, unchanged: true } };
    const s = await this.patch(input.sku, await this.productTypeOf(input.sku), [stockPatch(input.quantity)]);
    this.#check('patchListingsItem', input.sku, s);
    return { external_id: input.sku, data: { quantity: input.quantity, submission_id: s.submissionId ?? null } };
  }

  /** Price by patch of purchasable_offer; like setStock, an offer already at this price is left alone. */
  async updatePrice(input: UpdatePriceInput): Promise<WriteResult> {
    const mp = input.marketplace_id ?? this.marketplace;
    const l = await this.get(input.sku, ['summaries', 'offers', 'productTypes']);
    if (!l) throw new AppError('not_found', `amazon has no listing for sku ${input.sku}`);
    const offer = l.offers?.find((o) => o.marketplaceId === mp && (o.offerType ?? 'B2C') === 'B2C');
    if (!input.sale_price && offer && Number(offer.price.amount) === Number(input.price.amount) && offer.price.currencyCode === input.price.currency) {
      return { external_id: input.sku, data: { price: input.price, unchanged: true } };
    }
    const s = await this.patch(input.sku, await this.productTypeOf(input.sku), [pricePatch(input, mp)]);
    this.#check('patchListingsItem', input.sku, s);
    return { external_id: input.sku, data: { price: input.price, submission_id: s.submissionId ?? null } };
  }

  /** Title, description and attributes by patch (attribute values in Amazon's shape pass as they are). */
  async updateProduct(input: UpdateProductInput): Promise<WriteResult> {
    const f = input.fields;
    if (f.status !== undefined) {
      throw new AppError('validation', 'amazon listings have no status to set; set the quantity to 0 to stop selling', { retriable: false, errors: [{ path: 'fields.status', message: 'not supported by amazon' }] });
    }
    const mp = this.marketplace;
    const patches: { op: 'replace' | 'delete'; path: string; value?: unknown[] }[] = [];
    const wrap = (value: unknown) => (Array.isArray(value) && value.every((v) => typeof v === 'object' && v !== null) ? value : [{ value, marketplace_id: mp }]);
    if (f.title !== undefined) patches.push({ op: 'replace', path: '/attributes/item_name', value: wrap(f.title) });
    if (f.description !== undefined) {
      patches.push(f.description === null ? { op: 'delete', path: '/attributes/product_description' } : { op: 'replace', path: '/attributes/product_description', value: wrap(f.description) });
    }
    for (const [name, value] of Object.entries(f.attributes ?? {})) {
      if (!/^[a-z0-9_]+$/.test(name)) throw new AppError('validation', `"${name}" is not an amazon attribute name`, { retriable: false, errors: [{ path: `fields.attributes.${name}`, message: 'not an attribute name' }] });
      patches.push(value === null ? { op: 'delete', path: `/attributes/${name}` } : { op: 'replace', path: `/attributes/${name}`, value: wrap(value) });
    }
    if (patches.length === 0) return { external_id: input.sku, data: { unchanged: true } };
    const s = await this.patch(input.sku, await this.productTypeOf(input.sku), patches);
    this.#check('patchListingsItem', input.sku, s);
    return { external_id: input.sku, data: { submission_id: s.submissionId ?? null } };
  }
}

export function checkStockLocation(input: SetStockInput): void {
  const loc = input.location_id;
  if (loc && loc !== MFN_LOCATION && loc.toLowerCase() !== 'default') {
    throw new AppError('validation', `amazon stock at ${loc} is Amazon's (FBA) and cannot be set by the seller`, { retriable: false, errors: [{ path: 'location_id', message: 'only DEFAULT (merchant-fulfilled) stock can be set' }] });
  }
  if (!Number.isInteger(input.quantity) || input.quantity < 0) {
    throw new AppError('validation', `amazon quantity for ${input.sku} must be a whole number of at least 0`, { retriable: false, errors: [{ path: 'quantity', message: 'must be >= 0' }] });
  }
}

export function stockPatch(quantity: number) {
  return { op: 'replace' as const, path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: MFN_LOCATION, quantity }] };
}

export function pricePatch(input: UpdatePriceInput, marketplaceId: string) {
  const offer: Record<string, unknown> = {
    marketplace_id: marketplaceId,
    currency: input.price.currency,
    our_price: [{ schedule: [{ value_with_tax: Number(input.price.amount) }] }],
  };
  if (input.sale_price) offer.discounted_price = [{ schedule: [{ value_with_tax: Number(input.sale_price.amount) }] }];
  return { op: 'replace' as const, path: '/attributes/purchasable_offer', value: [offer] };
}

// The Amazon SP-API channel: the AdapterFactory (manifest, sync profile, settings and credentials
// schemas) and the ChannelAdapter over the client, orders, listings, feeds and product type modules.
import { z } from 'zod';
import { AppError } from '../../core/errors.ts';
import type {
  AdapterContext,
  AdapterFactory,
  BulkResult,
  CatalogMatch,
  ChannelAdapter,
  ChannelScope,
  ChannelWrites,
  Entity,
  ItemIssue,
  ListingInput,
  NormalizedByEntity,
  PullPage,
  PullRequest,
  RawRecord,
  SetStockInput,
  UpdatePriceInput,
} from '../../core/ports.ts';
import { CHANNEL, SpApiClient } from './client.ts';
import { Feeds, type FeedMessage } from './feeds.ts';
import { checkStockLocation, Listings, pricePatch, stockPatch, submissionIssues } from './listings.ts';
import { toLevel, toOrder, toProduct } from './map.ts';
import { parseNotification } from './notifications.ts';
import { Orders, ORDERS_LAG_MS } from './orders.ts';
import { ProductTypes, withListingField } from './product-types.ts';
import { AmazonCredentials, AmazonSettings } from './settings.ts';

export { AmazonCredentials, AmazonSettings } from './settings.ts';

const Participations = z.object({
  payload: z.array(
    z.object({
      marketplace: z.object({ id: z.string(), name: z.string(), countryCode: z.string().nullish(), defaultCurrencyCode: z.string().nullish(), defaultLanguageCode: z.string().nullish() }),
      participation: z.object({ isParticipating: z.boolean() }).passthrough(),
    }),
  ),
});
const CatalogResults = z.object({
  items: z.array(
    z.object({
      asin: z.string(),
      summaries: z.array(z.object({ marketplaceId: z.string(), itemName: z.string().nullish() })).nullish(),
      productTypes: z.array(z.object({ marketplaceId: z.string().nullish(), productType: z.string() })).nullish(),
    }),
  ),
});

export function createAmazonAdapter(ctx: AdapterContext<AmazonSettings, AmazonCredentials>, now: () => number = Date.now): ChannelAdapter {
  const client = new SpApiClient(ctx);
  const orders = new Orders(client, now);
  const listings = new Listings(client);
  const feeds = new Feeds(client, now);
  const productTypes = new ProductTypes(client, now);
  const settings = ctx.settings;
  const primary = settings.marketplace_ids[0]!;
  const useFeed = (n: number) => n > settings.feed_threshold;

  /** Items that could not even be tried (validation before sending) join the bulk result's issues. */
  async function onePerItem<T extends { sku: string }>(inputs: T[], write: (input: T) => Promise<unknown>): Promise<BulkResult> {
    const result: BulkResult = { accepted: [], issues: [], external_id: null };
    for (const input of inputs) {
      try {
        await write(input);
        result.accepted.push(input.sku);
      } catch (err) {
        if (!(err instanceof AppError) || (err.kind !== 'validation' && err.kind !== 'not_found')) throw err;
        const fields = err.errors?.length ? err.errors : [{ path: null, message: err.message }];
        for (const f of fields) result.issues.push({ sku: input.sku, code: err.kind.toUpperCase(), message: f.message, severity: 'error', attribute: f.path });
      }
    }
    return result;
  }

  /** Feed messages need each SKU's product type; SKUs the adapter has not seen are asked for. */
  async function productTypeMessages<T extends { sku: string }>(inputs: T[], build: (input: T, productType: string) => FeedMessage): Promise<{ messages: FeedMessage[]; issues: ItemIssue[] }> {
    const messages: FeedMessage[] = [];
    const issues: ItemIssue[] = [];
    for (const input of inputs) {
      try {
        messages.push(build(input, await listings.productTypeOf(input.sku)));
      } catch (err) {
        if (!(err instanceof AppError) || err.kind !== 'not_found') throw err;
        issues.push({ sku: input.sku, code: 'NOT_FOUND', message: err.message, severity: 'error', attribute: null });
      }
    }
    return { messages, issues };
  }

  async function viaFeed<T extends { sku: string }>(inputs: T[], key: string, build: (input: T, productType: string) => FeedMessage): Promise<BulkResult> {
    const { messages, issues } = await productTypeMessages(inputs, build);
    const result = messages.length ? await feeds.submit(messages, key, primary) : { accepted: [], issues: [], external_id: null };
    return { ...result, issues: [...issues, ...result.issues] };
  }

  const writes: ChannelWrites = {
    setStock: (input) => listings.setStock(input),
    updatePrice: (input) => listings.updatePrice(input),
    updateProduct: (input) => listings.updateProduct(input),
    createShipment: (input, w) => orders.confirmShipment(input, w),

    async setStockBulk(inputs: SetStockInput[], w): Promise<BulkResult> {
      const bad: ItemIssue[] = [];
      const good = inputs.filter((i) => {
        try {
          checkStockLocation(i);
          return true;
        } catch (err) {
          const e = err as AppError;
          bad.push({ sku: i.sku, code: 'VALIDATION', message: e.message, severity: 'error', attribute: e.errors?.[0]?.path ?? null });
          return false;
        }
      });
      const r = useFeed(good.length)
        ? await viaFeed(good, w.idempotencyKey, (i, productType) => ({ sku: i.sku, operationType: 'PATCH', productType, patches: [stockPatch(i.quantity)] }))
        : await onePerItem(good, (i) => listings.setStock(i));
      return { ...r, issues: [...bad, ...r.issues] };
    },

    async updatePriceBulk(inputs: UpdatePriceInput[], w): Promise<BulkResult> {
      return useFeed(inputs.length)
        ? await viaFeed(inputs, w.idempotencyKey, (i, productType) => ({ sku: i.sku, operationType: 'PATCH', productType, patches: [pricePatch(i, i.marketplace_id ?? primary)] }))
        : await onePerItem(inputs, (i) => listings.updatePrice(i));
    },

    async publishListings(inputs: ListingInput[], w): Promise<BulkResult> {
      // Every listing is put in Amazon's attribute shape and checked against its product type first:
      // nothing invalid is sent.
      const issues: ItemIssue[] = [];
      const valid: ListingInput[] = [];
      for (const input of inputs) {
        const { listing, issues: found } = await productTypes.prepare(input, primary);
        if (found.some((i) => i.severity === 'error')) issues.push(...found);
        else valid.push(listing);
      }
      if (useFeed(valid.length)) {
        const r = await feeds.submit(
          valid.map((i) => ({ sku: i.sku, operationType: 'UPDATE', productType: i.product_type, requirements: i.offer_only ? 'LISTING_OFFER_ONLY' : 'LISTING', attributes: i.attributes })),
          w.idempotencyKey,
          primary,
        );
        return { ...r, issues: [...issues, ...r.issues.map(withListingField)] };
      }
      const result: BulkResult = { accepted: [], issues, external_id: null };
      for (const input of valid) {
        const s = await listings.put(input);
        const found = submissionIssues(input.sku, s).map(withListingField);
        result.issues.push(...found);
        if (s.status !== 'INVALID') result.accepted.push(input.sku);
      }
      return result;
    },
  };

  return {
    async testConnection() {
      await client.assertAddresses();
      const scopes = await listScopes();
      const missing = settings.marketplace_ids.filter((id) => !scopes.some((s) => s.code === id));
      if (missing.length) {
        throw new AppError('validation', `the seller does not participate in marketplace ${missing.join(', ')}`, { retriable: false, errors: [{ path: 'settings.marketplace_ids', message: `not a marketplace of this seller: ${missing.join(', ')}` }] });
      }
    },

    async pull(entity: Entity, request: PullRequest): Promise<PullPage> {
      if (entity === 'orders') return orders.pull(request);
      if (entity === 'products') return listings.pullProducts(request);
      if (entity === 'inventory') return listings.pullInventory(request);
      throw new AppError('validation', `amazon cannot pull ${entity}`, { retriable: false });
    },

    normalize<E extends Entity>(entity: E, record: RawRecord): NormalizedByEntity[E] {
      if (entity === 'orders') return toOrder(record) as NormalizedByEntity[E];
      if (entity === 'products') return toProduct(record) as NormalizedByEntity[E];
      if (entity === 'inventory') return toLevel(record) as NormalizedByEntity[E];
      throw new AppError('validation', `amazon has no ${entity} records`, { retriable: false });
    },

    async fetch(entity: Entity, externalId: string): Promise<RawRecord | null> {
      if (entity === 'orders') return orders.fetchRaw(externalId);
      if (entity === 'products') return listings.fetchRaw(externalId);
      throw new AppError('validation', `amazon cannot fetch single ${entity} records`, { retriable: false });
    },

    writes,
    listScopes,

    validateListing: (input) => productTypes.validate(input, primary),

    async lookupCatalog(identifier, marketplaceId): Promise<CatalogMatch[]> {
      const mp = marketplaceId ?? primary;
      const res = CatalogResults.safeParse(
        await client.call({
          op: 'searchCatalogItems',
          method: 'GET',
          path: '/catalog/2022-04-01/items',
          query: { identifiers: [identifier.value], identifiersType: identifier.type, marketplaceIds: [mp], includedData: ['summaries', 'productTypes'] },
        }),
      );
      if (!res.success) throw new AppError('upstream_unavailable', 'amazon searchCatalogItems answered an unexpected body');
      return res.data.items.map((it) => ({
        external_id: it.asin,
        title: it.summaries?.find((s) => s.marketplaceId === mp)?.itemName ?? it.summaries?.[0]?.itemName ?? null,
        product_type: it.productTypes?.find((p) => p.marketplaceId === mp)?.productType ?? it.productTypes?.[0]?.productType ?? null,
        marketplace_id: mp,
      }));
    },

    parseNotification: (body) => parseNotification(body, settings.seller_id),
  };

  async function listScopes(): Promise<ChannelScope[]> {
    const res = Participations.safeParse(await client.call({ op: 'getMarketplaceParticipations', method: 'GET', path: '/sellers/v1/marketplaceParticipations' }));
    if (!res.success) throw new AppError('upstream_unavailable', 'amazon getMarketplaceParticipations answered an unexpected body');
    return res.data.payload
      .filter((p) => p.participation.isParticipating)
      .map((p) => ({
        code: p.marketplace.id,
        name: p.marketplace.name,
        parent_code: p.marketplace.countryCode ?? null,
        currency: p.marketplace.defaultCurrencyCode ?? null,
        locale: p.marketplace.defaultLanguageCode ?? null,
      }));
  }
}

/** Amazon Selling Partner API. */
export const amazonAdapter: AdapterFactory<AmazonSettings, AmazonCredentials> = {
  manifest: {
    channel: CHANNEL,
    displayName: 'Amazon Selling Partner API',
    capabilities: ['orders.read', 'products.read', 'inventory.read', 'inventory.write', 'products.write', 'shipments.write', 'listings.read', 'listings.write', 'listings.feed'],
  },
  // Orders change up to two minutes behind "now" (Amazon refuses a later lastUpdatedBefore); each pull
  // re-reads five minutes before its checkpoint. searchOrders allows one call every 3 minutes after its
  // burst, so orders are pulled every 5 minutes; notifications bring single orders in between.
  sync: {
    safetyLagMs: ORDERS_LAG_MS,
    overlapMs: 5 * 60_000,
    intervalsSec: { orders: 300, products: 900, inventory: 300 },
    detectsDeletions: { products: true },
  },
  settingsSchema: AmazonSettings,
  credentialsSchema: AmazonCredentials,
  create: (ctx) => createAmazonAdapter(ctx),
};

export default amazonAdapter;

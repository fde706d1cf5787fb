// What a merchant configures for the flows: mapping profiles (how a product becomes a listing, how
// stock and prices are derived, how orders are imported) and links (which flow runs from which
// connection to which). Validated on save; the types of everything under src/core/flows come from here.
import { z } from 'zod';
import { DecimalString, ORDER_STATUSES } from './index.ts';

export const FLOW_TYPES = ['catalog_publish', 'inventory_sync', 'order_import', 'fulfillment_confirmation', 'price_sync', 'cancellation'] as const;
export const FlowType = z.enum(FLOW_TYPES).meta({ id: 'FlowType' });
export type FlowType = z.infer<typeof FlowType>;

const Scalar = z.union([z.string().max(4096), z.number(), z.boolean()]);
const Code = z.string().min(1).max(255);

/** A simple transform applied to a source value before it reaches the target attribute. */
export const Transform = z
  .object({
    op: z.enum(['uppercase', 'lowercase', 'trim', 'prefix', 'suffix', 'replace', 'number', 'truncate']),
    arg: z.string().max(1024).optional(),
    with: z.string().max(1024).optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (['prefix', 'suffix', 'replace', 'truncate'].includes(t.op) && t.arg === undefined) ctx.addIssue({ code: 'custom', path: ['arg'], message: `${t.op} needs arg` });
    if (t.op === 'truncate' && t.arg !== undefined && !/^\d{1,6}$/.test(t.arg)) ctx.addIssue({ code: 'custom', path: ['arg'], message: 'truncate needs a length' });
  });
export type Transform = z.infer<typeof Transform>;

/** Product fields a mapping may read besides the attribute bag. */
export const PRODUCT_FIELDS = ['title', 'description', 'brand', 'sku', 'ean', 'upc', 'gtin', 'asin', 'mpn', 'price', 'image', 'images'] as const;

export const AttributeMapping = z.discriminatedUnion('from', [
  z.object({ from: z.literal('attribute'), source: Code, target: Code, transform: z.array(Transform).max(5).optional(), required: z.boolean().optional() }).strict(),
  z.object({ from: z.literal('field'), field: z.enum(PRODUCT_FIELDS), target: Code, transform: z.array(Transform).max(5).optional(), required: z.boolean().optional() }).strict(),
  z.object({ from: z.literal('constant'), value: Scalar, target: Code }).strict(),
]);
export type AttributeMapping = z.infer<typeof AttributeMapping>;

export const InventoryRules = z
  .object({
    buffer: z.number().int().min(0).max(1_000_000).default(0).meta({ description: 'Units held back from the target.' }),
    percentage: z.number().min(0).max(100).default(100).meta({ description: 'Share of the remaining stock offered.' }),
    min: z.number().int().min(0).max(1_000_000).default(0).meta({ description: 'Below this, 0 is published.' }),
    max: z.number().int().min(0).max(10_000_000).nullish().meta({ description: 'At most this many are published.' }),
    locations: z.array(Code).max(100).optional().meta({ description: 'Source locations counted (default: all).' }),
  })
  .strict();
export type InventoryRules = z.infer<typeof InventoryRules>;

export const PriceRules = z
  .object({
    markup_percent: z.number().min(-100).max(1000).default(0),
    markup_fixed: DecimalString.default('0'),
    rounding: z.enum(['none', 'cents_99', 'whole', 'five_cents']).default('none'),
    min: DecimalString.nullish(),
    max: DecimalString.nullish(),
    scope: Code.nullish().meta({ description: 'The source price scope (store view or website code); null: the default price.' }),
  })
  .strict();
export type PriceRules = z.infer<typeof PriceRules>;

export const ProfileRules = z
  .object({
    categories: z.array(z.object({ category: Code, product_type: Code }).strict()).max(1000).default([]),
    default_product_type: Code.nullish(),
    attributes: z.array(AttributeMapping).max(500).default([]),
    variations: z
      .object({
        enabled: z.boolean().default(true),
        theme: z.record(Code, Code).default({}).meta({ description: 'Source option name to target variation attribute, e.g. {"size":"size_name"}.' }),
        theme_name: Code.nullish().meta({ description: 'The variation theme the target knows the family by, e.g. "SIZE/COLOR" (default: the target attributes joined by "/").' }),
      })
      .strict()
      .default({ enabled: true, theme: {} }),
    content: z
      .object({
        scope: Code.nullish().meta({ description: 'Store view whose titles and descriptions are published (null: default).' }),
        title_attribute: Code.nullish(),
        description_attribute: Code.nullish(),
        images: z.boolean().default(true),
      })
      .strict()
      .default({ images: true }),
    identifiers: z
      .object({
        match: z.array(z.enum(['ean', 'upc', 'gtin', 'isbn', 'asin'])).max(5).default(['ean', 'upc', 'gtin']),
        gtin_exemption: z.boolean().default(false),
        sku_map: z.record(Code, Code).default({}).meta({ description: 'Marketplace SKU to store SKU, where they differ.' }),
      })
      .strict()
      .default({ match: ['ean', 'upc', 'gtin'], gtin_exemption: false, sku_map: {} }),
    inventory: InventoryRules.default({ buffer: 0, percentage: 100, min: 0 }),
    prices: PriceRules.default({ markup_percent: 0, markup_fixed: '0', rounding: 'none' }),
    customer: z
      .discriminatedUnion('policy', [
        z.object({ policy: z.literal('guest') }).strict(),
        z.object({ policy: z.literal('default_customer'), external_id: Code, email: z.string().max(320).nullish(), name: z.string().max(255).nullish() }).strict(),
      ])
      .default({ policy: 'guest' }),
    statuses: z.partialRecord(z.enum(ORDER_STATUSES), z.enum(ORDER_STATUSES)).default({}).meta({ description: 'Marketplace order status to the status the imported order gets.' }),
    carriers: z.record(Code, Code).default({}).meta({ description: 'Store carrier to marketplace carrier code.' }),
    ownership: z
      .object({
        catalog: z.enum(['source', 'target']).default('source'),
        stock: z.enum(['source', 'target']).default('source'),
        prices: z.enum(['source', 'target']).default('source'),
      })
      .strict()
      .default({ catalog: 'source', stock: 'source', prices: 'source' }),
    cancellations: z.enum(['exception', 'automatic']).default('exception'),
  })
  .strict()
  .superRefine((r, ctx) => {
    const inv = r.inventory;
    if (inv.max !== null && inv.max !== undefined && inv.max < inv.min) ctx.addIssue({ code: 'custom', path: ['inventory', 'max'], message: 'max must not be below min' });
    const p = r.prices;
    if (p.min && p.max && Number(p.max) < Number(p.min)) ctx.addIssue({ code: 'custom', path: ['prices', 'max'], message: 'max must not be below min' });
    const seen = new Set<string>();
    r.categories.forEach((c, i) => {
      if (seen.has(c.category)) ctx.addIssue({ code: 'custom', path: ['categories', i, 'category'], message: `category ${c.category} is mapped twice` });
      seen.add(c.category);
    });
    const targets = new Set<string>();
    r.attributes.forEach((a, i) => {
      if (targets.has(a.target)) ctx.addIssue({ code: 'custom', path: ['attributes', i, 'target'], message: `target attribute ${a.target} is mapped twice` });
      targets.add(a.target);
    });
  });
export type ProfileRules = z.infer<typeof ProfileRules>;

export const ProfileInput = z.object({ name: z.string().min(1).max(255), rules: ProfileRules }).strict().meta({ id: 'ProfileInput' });
export const ProfilePatch = z.object({ name: z.string().min(1).max(255).optional(), rules: ProfileRules.optional() }).strict().meta({ id: 'ProfilePatch' });
export const Profile = z
  .object({ id: z.string(), name: z.string(), rules: z.record(z.string(), z.unknown()), created_at: z.string(), updated_at: z.string() })
  .meta({ id: 'Profile' });

export const LinkTarget = z
  .object({ connection_id: z.string().min(1).max(64), marketplace_ids: z.array(z.string().min(1).max(64)).max(50).default([]) })
  .strict()
  .meta({ id: 'LinkTarget' });
export type LinkTarget = z.infer<typeof LinkTarget>;

export const LinkOptions = z
  .object({
    marketplace_fulfilled: z.enum(['skip', 'import_without_stock']).default('skip').meta({ description: 'Orders the marketplace fulfils: left alone, or imported without touching stock.' }),
    import_statuses: z.array(z.enum(ORDER_STATUSES)).min(1).default(['processing']),
    import_orders_placed_after: z.iso.datetime({ offset: true }).nullish().meta({ description: 'Older orders are not imported (default: one day before the link was made).' }),
    bulk_threshold: z.number().int().min(1).max(10_000).default(20).meta({ description: 'From this many changes on one target, one bulk write instead of single ones.' }),
    debounce_ms: z.number().int().min(0).max(600_000).default(500).meta({ description: 'A burst of changes within this time is written once.' }),
    price_scope: Code.nullish().meta({ description: 'Price links: the source price scope published (a store view or website code, e.g. a Magento store view in store_view_prices); overrides the profile\'s prices.scope.' }),
  })
  .strict();
export type LinkOptions = z.infer<typeof LinkOptions>;

export const LinkStatus = z.enum(['enabled', 'paused']);

export const LinkInput = z
  .object({
    name: z.string().min(1).max(255),
    flow: FlowType,
    source_connection_id: z.string().min(1).max(64),
    targets: z.array(LinkTarget).min(1).max(50),
    profile_id: z.string().max(64).nullish(),
    options: LinkOptions.default({ marketplace_fulfilled: 'skip', import_statuses: ['processing'], bulk_threshold: 20, debounce_ms: 500 }),
    interval_sec: z.number().int().min(5).max(86_400).default(300),
    status: LinkStatus.default('enabled'),
  })
  .strict()
  .meta({ id: 'LinkInput' });
export type LinkInput = z.infer<typeof LinkInput>;

export const LinkPatch = z
  .object({
    name: z.string().min(1).max(255).optional(),
    targets: z.array(LinkTarget).min(1).max(50).optional(),
    profile_id: z.string().max(64).nullish(),
    options: LinkOptions.optional(),
    interval_sec: z.number().int().min(5).max(86_400).optional(),
    status: LinkStatus.optional(),
  })
  .strict()
  .meta({ id: 'LinkPatch' });
export type LinkPatch = z.infer<typeof LinkPatch>;

export const Link = z
  .object({
    id: z.string(),
    name: z.string(),
    flow: FlowType,
    source_connection_id: z.string(),
    targets: z.array(z.object({ connection_id: z.string(), marketplace_ids: z.array(z.string()) })),
    profile_id: z.string().nullable(),
    options: z.record(z.string(), z.unknown()),
    interval_sec: z.number().int(),
    status: LinkStatus,
    last_run_at: z.string().nullable(),
    last_error: z.string().nullable(),
    runs: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Link' });
export type Link = z.infer<typeof Link>;

export const EXCEPTION_KINDS = ['unresolved_sku', 'oversell', 'confirmation_rejected', 'cancellation', 'listing_rejected', 'order_rejected', 'unmatched_shipment'] as const;
export const FlowException = z
  .object({
    id: z.string(),
    link_id: z.string().nullable(),
    kind: z.enum(EXCEPTION_KINDS),
    subject: z.string().meta({ description: 'What it is about: an order, shipment or product id, or a SKU.' }),
    reason: z.string(),
    details: z.record(z.string(), z.unknown()),
    state: z.enum(['open', 'resolved']),
    resolution: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'FlowException' });
export type FlowException = z.infer<typeof FlowException>;
export type ExceptionKind = (typeof EXCEPTION_KINDS)[number];

/** Capabilities a flow needs of its source and of each target. */
export const FLOW_NEEDS: Record<FlowType, { source: string[]; target: string[]; profile: boolean }> = {
  catalog_publish: { source: ['products.read'], target: ['listings.write'], profile: true },
  inventory_sync: { source: ['inventory.read'], target: ['inventory.write'], profile: false },
  order_import: { source: ['orders.read'], target: ['orders.write'], profile: false },
  fulfillment_confirmation: { source: ['shipments.read'], target: ['shipments.write'], profile: false },
  price_sync: { source: ['products.read'], target: ['products.write'], profile: false },
  // Either side may lack a cancel API (Amazon has none for merchant-fulfilled orders in our adapter): a
  // cancellation toward it goes to the exception list, so the link only needs to read orders.
  cancellation: { source: ['orders.read'], target: ['orders.read'], profile: false },
};

/** The data each flow writes on its targets, for the ownership rules. */
export const FLOW_WRITES: Partial<Record<FlowType, 'catalog' | 'stock' | 'prices'>> = {
  catalog_publish: 'catalog',
  inventory_sync: 'stock',
  price_sync: 'prices',
};

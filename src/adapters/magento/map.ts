// Magento payloads to the canonical model, and canonical writes back to Magento payloads. Upstream
// shapes are checked here (never trusted); a record that cannot be read throws AppError('validation')
// and goes to the dead letters alone.
import { z } from 'zod';
import { AppError, type FieldError } from '../../core/errors.ts';
import type { Address, CategoryInput, CustomerInput, InventoryLevelInput, OrderInput, OrderStatus, ProductInput, ShipmentInput } from '../../core/model/index.ts';
import type { Entity, RawRecord } from '../../core/ports.ts';

const num = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/).transform(Number)]);
const id = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);
const str = z.string();

/** Magento's "YYYY-MM-DD HH:MM:SS" (UTC) as ISO 8601; ISO input passes through. */
export function isoFromMagento(value: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(value.trim());
  if (!m) throw new Error(`not a Magento date: ${value}`);
  const d = new Date(`${m[1]}T${m[2]}${m[3] ?? ''}${m[4] ?? 'Z'}`);
  if (Number.isNaN(d.getTime())) throw new Error(`not a Magento date: ${value}`);
  return d.toISOString();
}

/** ISO 8601 to the "YYYY-MM-DD HH:MM:SS" searchCriteria compares against (seconds, UTC). */
export function magentoFromIso(iso: string): string {
  return new Date(iso).toISOString().slice(0, 19).replace('T', ' ');
}

const MDate = z.string().transform((s, ctx) => {
  try {
    return isoFromMagento(s);
  } catch {
    ctx.addIssue({ code: 'custom', message: `not a date: ${s}` });
    return z.NEVER;
  }
});

/** A decimal string for a Magento number: at most 4 places (Magento's decimal(20,4)), at least 2. */
export function decimal(value: number): string {
  const fixed = (Math.round(value * 10_000) / 10_000).toFixed(4);
  return fixed.replace(/(\.\d\d\d?)0+$/, '$1').replace(/(\.\d\d)0$/, '$1').replace(/^-(0\.0+)$/, '$1');
}
const money = (amount: number, currency: string) => ({ amount: decimal(amount), currency });

const CustomAttr = z.object({ attribute_code: str, value: z.unknown() });
type CustomAttr = z.infer<typeof CustomAttr>;

export const MProduct = z
  .object({
    id: id,
    sku: str.min(1).max(255),
    name: str.nullish(),
    price: num.nullish(),
    status: id.nullish(),
    visibility: id.nullish(),
    type_id: str.nullish(),
    attribute_set_id: id.nullish(),
    weight: num.nullish(),
    created_at: MDate.nullish(),
    updated_at: MDate.nullish(),
    extension_attributes: z
      .object({
        website_ids: z.array(id).nullish(),
        category_links: z.array(z.object({ category_id: z.union([str, z.number()]), position: z.number().nullish() })).nullish(),
        configurable_product_options: z
          .array(z.object({ attribute_id: z.union([str, z.number()]).nullish(), label: str.nullish(), position: z.number().nullish(), values: z.array(z.object({ value_index: id })).nullish() }))
          .nullish(),
        configurable_product_links: z.array(id).nullish(),
        stock_item: z.object({ item_id: id.nullish(), qty: num.nullish(), is_in_stock: z.boolean().nullish() }).passthrough().nullish(),
      })
      .passthrough()
      .nullish(),
    media_gallery_entries: z
      .array(z.object({ id: id.nullish(), label: str.nullish(), position: z.number().nullish(), disabled: z.boolean().nullish(), types: z.array(str).nullish(), file: str.nullish(), media_type: str.nullish() }))
      .nullish(),
    custom_attributes: z.array(CustomAttr).nullish(),
  })
  .passthrough();
export type MProduct = z.infer<typeof MProduct>;

/**
 * What a product record carries: the product as Magento lists it and, for a configurable, its children
 * and the labels of its option values, read in the same pull; plus the store's currency and weight unit.
 */
export interface ProductPayload {
  product: unknown;
  children?: unknown[];
  /** attribute code → option value id → label */
  option_labels?: Record<string, Record<string, string>>;
  currency: string;
  weight_unit?: string | null;
  media_base_url?: string | null;
  /** Prices read through other store views (setting store_view_prices): view code, its currency, price by SKU. */
  view_prices?: { scope: string; currency: string; prices: Record<string, number> }[];
}

const MAddress = z
  .object({
    address_type: str.nullish(),
    firstname: str.nullish(),
    lastname: str.nullish(),
    company: str.nullish(),
    street: z.array(str).nullish(),
    city: str.nullish(),
    region: z.union([str, z.object({ region: str.nullish(), region_code: str.nullish() }).passthrough()]).nullish(),
    region_code: str.nullish(),
    postcode: str.nullish(),
    country_id: str.nullish(),
    telephone: str.nullish(),
    email: str.nullish(),
  })
  .passthrough();

const MOrderItem = z
  .object({
    item_id: id,
    sku: str,
    name: str.nullish(),
    parent_item_id: id.nullish(),
    product_type: str.nullish(),
    qty_ordered: num.nullish(),
    qty_shipped: num.nullish(),
    qty_canceled: num.nullish(),
    price: num.nullish(),
    tax_amount: num.nullish(),
    discount_amount: num.nullish(),
    row_total: num.nullish(),
  })
  .passthrough();

export const MOrder = z
  .object({
    entity_id: id,
    increment_id: str.nullish(),
    state: str.nullish(),
    status: str.nullish(),
    order_currency_code: str.regex(/^[A-Z]{3}$/),
    subtotal: num.nullish(),
    shipping_amount: num.nullish(),
    tax_amount: num.nullish(),
    discount_amount: num.nullish(),
    grand_total: num,
    customer_id: id.nullish(),
    customer_email: str.nullish(),
    customer_firstname: str.nullish(),
    customer_lastname: str.nullish(),
    billing_address: MAddress.nullish(),
    items: z.array(MOrderItem),
    extension_attributes: z
      .object({ shipping_assignments: z.array(z.object({ shipping: z.object({ address: MAddress.nullish(), method: str.nullish() }).passthrough().nullish() }).passthrough()).nullish() })
      .passthrough()
      .nullish(),
    created_at: MDate,
    updated_at: MDate,
  })
  .passthrough();
export type MOrder = z.infer<typeof MOrder>;

export const MShipment = z
  .object({
    entity_id: id,
    order_id: id,
    increment_id: str.nullish(),
    items: z.array(z.object({ order_item_id: id, sku: str.nullish(), qty: num }).passthrough()),
    tracks: z.array(z.object({ track_number: str.nullish(), title: str.nullish(), carrier_code: str.nullish(), created_at: str.nullish() }).passthrough()).default([]),
    comments: z.array(z.object({ comment: str.nullish() }).passthrough()).default([]),
    created_at: MDate,
    updated_at: MDate,
  })
  .passthrough();
export type MShipment = z.infer<typeof MShipment>;

export const MCustomer = z
  .object({
    id: id,
    email: str.nullish(),
    firstname: str.nullish(),
    lastname: str.nullish(),
    group_id: id.nullish(),
    addresses: z.array(MAddress.extend({ telephone: str.nullish() })).default([]),
    created_at: MDate,
    updated_at: MDate,
  })
  .passthrough();

export const MCategory = z
  .object({
    id: id,
    parent_id: id.nullish(),
    name: str,
    is_active: z.boolean().nullish(),
    position: z.number().int().nullish(),
    path: str.nullish(),
    created_at: MDate.nullish(),
    updated_at: MDate.nullish(),
  })
  .passthrough();

/** A category record: the category and the names of its ancestors, root first (the catalog root left out). */
export interface CategoryPayload {
  category: unknown;
  path_names: string[];
  observed_at: string;
}

/** A stock record: an MSI source item or a legacy stock item, with the salable quantity when known. */
export interface InventoryPayload {
  kind: 'msi' | 'legacy';
  sku: string;
  source_code: string;
  quantity: number;
  /** MSI: the SKU's salable quantity in the configured stock (quantity less reservations), when read. */
  salable_qty: number | null;
  /** MSI: how many source items the SKU has; reservations are only placed on a single-source SKU. */
  sources_of_sku: number;
  status: number | null;
  observed_at: string;
}

export function readOrThrow<T>(schema: z.ZodType<T>, entity: Entity, record: RawRecord, value: unknown = record.payload): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const errors: FieldError[] = r.error.issues.slice(0, 10).map((i) => ({ path: i.path.map(String).join('.') || '(record)', message: i.message }));
  throw new AppError('validation', `magento ${entity} record ${record.external_id} cannot be read: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors, retriable: false });
}

const cut = (s: string | null | undefined, n: number) => (s == null ? null : s.slice(0, n));

function attrs(list: CustomAttr[] | null | undefined): Map<string, unknown> {
  return new Map((list ?? []).map((a) => [a.attribute_code, a.value]));
}

function scalar(v: unknown): string | number | boolean | (string | number)[] | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v.slice(0, 65535);
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.filter((x): x is string | number => typeof x === 'string' || typeof x === 'number');
  return JSON.stringify(v).slice(0, 65535);
}

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);

function weightUnit(unit: string | null | undefined): 'kg' | 'lb' {
  return unit && /^kg/i.test(unit) ? 'kg' : 'lb';
}

const STATUS_ENABLED = 1;

function productStatus(s: number | null | undefined): 'active' | 'inactive' {
  return s === STATUS_ENABLED ? 'active' : 'inactive';
}

// The record envelopes' schemas are built once: a zod schema built per record costs more than the parse
// (5,000 stock records took 2.5 s instead of 42 ms); test/adapters/magento-normalize-cost.test.ts holds it.
const ProductEnvelope = z.object({
  product: z.unknown(),
  children: z.array(z.unknown()).nullish(),
  option_labels: z.record(z.string(), z.record(z.string(), z.string())).nullish(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  weight_unit: z.string().nullish(),
  media_base_url: z.string().nullish(),
  view_prices: z.array(z.object({ scope: z.string(), currency: z.string().regex(/^[A-Z]{3}$/), prices: z.record(z.string(), z.number()) })).nullish(),
});
const CategoryEnvelope = z.object({ category: z.unknown(), path_names: z.array(z.string()), observed_at: z.string() });
/** The envelope of a stock record (exported so the normalize-cost test parses the very same schema as its floor). */
export const InventoryEnvelope = z.object({
  kind: z.enum(['msi', 'legacy']),
  sku: z.string().min(1).max(255),
  source_code: z.string().min(1).max(255),
  quantity: z.number(),
  salable_qty: z.number().nullable(),
  sources_of_sku: z.number().int(),
  status: z.number().nullable(),
  observed_at: z.iso.datetime({ offset: true }),
});

export function toProduct(record: RawRecord): ProductInput {
  const payload = readOrThrow(ProductEnvelope, 'products', record);
  const p = readOrThrow(MProduct, 'products', record, payload.product);
  const children = (payload.children ?? []).map((c) => readOrThrow(MProduct, 'products', record, c));
  const cur = payload.currency;
  const a = attrs(p.custom_attributes);
  const updated = p.updated_at ?? p.created_at;
  if (!updated) throw new AppError('validation', `magento products record ${record.external_id} has no updated_at`, { retriable: false });
  const created = p.created_at ?? updated;
  const unit = weightUnit(payload.weight_unit);
  const mediaBase = (payload.media_base_url ?? '').replace(/\/+$/, '');

  const identifiersOf = (x: MProduct) => {
    const xa = attrs(x.custom_attributes);
    return { sku: x.sku, gtin: cut(text(xa.get('gtin')), 14), ean: cut(text(xa.get('ean')), 13), upc: cut(text(xa.get('upc')), 12), mpn: cut(text(xa.get('mpn')), 255) };
  };
  const pricesOf = (x: MProduct) => {
    const special = Number(text(attrs(x.custom_attributes).get('special_price')) ?? NaN);
    const scoped = (payload.view_prices ?? []).flatMap((v) => (v.prices[x.sku] === undefined ? [] : [{ marketplace_id: v.scope, price: money(v.prices[x.sku]!, v.currency), sale_price: null }]));
    return x.price == null ? scoped : [{ price: money(x.price, cur), sale_price: Number.isFinite(special) ? money(special, cur) : null }, ...scoped];
  };
  const attributesOf = (x: MProduct) => {
    const out: Record<string, ReturnType<typeof scalar>> = {};
    for (const c of x.custom_attributes ?? []) if (!['description'].includes(c.attribute_code)) out[c.attribute_code.slice(0, 255)] = scalar(c.value);
    if (x.visibility != null) out.visibility = x.visibility;
    if (x.attribute_set_id != null) out.attribute_set_id = x.attribute_set_id;
    if (x.extension_attributes?.website_ids) out.website_ids = x.extension_attributes.website_ids;
    return out;
  };
  const weightOf = (x: MProduct) => (x.weight == null ? null : { value: decimal(x.weight), unit });

  // Configurable: each option's attribute is the child attribute whose values are the option's value ids.
  const options: { name: string; code: string; values: Map<string, string> }[] = [];
  for (const o of p.extension_attributes?.configurable_product_options ?? []) {
    const ids = new Set((o.values ?? []).map((v) => String(v.value_index)));
    let code: string | null = null;
    for (const c of children) {
      for (const ca of c.custom_attributes ?? []) if (ids.has(String(ca.value)) && code === null) code = ca.attribute_code;
      if (code) break;
    }
    const labels = code ? (payload.option_labels?.[code] ?? {}) : {};
    const name = o.label ?? code ?? `attribute ${String(o.attribute_id)}`;
    options.push({ name, code: code ?? name, values: new Map([...ids].map((v) => [v, labels[v] ?? v])) });
  }

  const variants: ProductInput['variants'] =
    p.type_id === 'configurable' && children.length > 0
      ? children.map((c, i) => {
          const ca = attrs(c.custom_attributes);
          const chosen: Record<string, string> = {};
          for (const o of options) {
            const v = text(ca.get(o.code));
            if (v !== null) chosen[o.name] = o.values.get(v) ?? v;
          }
          return {
            external_id: c.sku,
            sku: c.sku,
            title: cut(c.name, 1024),
            position: i,
            options: chosen,
            identifiers: identifiersOf(c),
            prices: pricesOf(c),
            weight: weightOf(c),
            attributes: attributesOf(c),
            updated_at: c.updated_at ?? updated,
          };
        })
      : [{ external_id: p.sku, sku: p.sku, title: cut(p.name, 1024), position: 0, options: {}, identifiers: identifiersOf(p), prices: pricesOf(p), weight: weightOf(p), attributes: {}, updated_at: updated }];

  const images = (p.media_gallery_entries ?? [])
    .filter((m) => !m.disabled && m.file)
    .map((m, i) => ({ url: `${mediaBase}/catalog/product${m.file!.startsWith('/') ? '' : '/'}${m.file}`.slice(0, 2048), position: m.position ?? i, alt: cut(m.label, 1024), roles: (m.types ?? []).map((t) => t.slice(0, 64)) }));

  return {
    external_id: p.sku,
    title: (p.name ?? p.sku).slice(0, 1024),
    description: cut(text(a.get('description')), 200_000),
    status: productStatus(p.status),
    product_type: cut(p.type_id, 128),
    brand: cut(text(a.get('brand')) ?? text(a.get('manufacturer')), 255),
    options: options.map((o) => ({ name: o.name.slice(0, 255), values: [...o.values.values()].map((v) => v.slice(0, 255)) })),
    identifiers: identifiersOf(p),
    attributes: attributesOf(p),
    images,
    category_ids: (p.extension_attributes?.category_links ?? []).map((c) => String(c.category_id)),
    prices: pricesOf(p),
    variants,
    created_at: created,
    updated_at: updated,
  };
}

// ---- Orders ----

/** Magento's order state (status is the merchant's label for it) to the canonical status. */
export function orderStatus(state: string | null | undefined, items: { qty_ordered?: number | null; qty_shipped?: number | null; qty_canceled?: number | null }[]): OrderStatus {
  switch (state) {
    case 'new':
    case 'pending_payment':
    case 'payment_review':
      return 'pending';
    case 'holded':
      return 'on_hold';
    case 'complete':
      return 'shipped';
    case 'closed':
      return 'refunded';
    case 'canceled':
      return 'canceled';
    case 'processing':
    default: {
      const shipped = items.reduce((n, i) => n + (i.qty_shipped ?? 0), 0);
      const open = items.reduce((n, i) => n + (i.qty_ordered ?? 0) - (i.qty_shipped ?? 0) - (i.qty_canceled ?? 0), 0);
      if (shipped > 0 && open > 0) return 'partially_shipped';
      if (shipped > 0) return 'shipped';
      return state === 'processing' ? 'processing' : 'pending';
    }
  }
}

function address(a: z.infer<typeof MAddress> | null | undefined): Address | null {
  if (!a) return null;
  const street = a.street ?? [];
  const region = typeof a.region === 'string' ? a.region : (a.region?.region ?? a.region?.region_code ?? a.region_code ?? null);
  const name = [a.firstname, a.lastname].filter((s) => s && s.trim()).join(' ');
  const country = a.country_id && /^[A-Z]{2}$/.test(a.country_id) ? a.country_id : null;
  return {
    name: cut(name || null, 255),
    company: cut(a.company, 255),
    line1: cut(street[0], 255),
    line2: cut(street[1], 255),
    line3: cut(street.slice(2).join(', ') || null, 255),
    city: cut(a.city, 255),
    region: cut(region, 255),
    postal_code: cut(a.postcode, 32),
    country,
    phone: cut(a.telephone, 64),
    email: cut(a.email, 320),
  };
}

const qty = (n: number | null | undefined) => Math.max(0, Math.round(n ?? 0));

export function toOrder(record: RawRecord): OrderInput {
  const o = readOrThrow(MOrder, 'orders', record);
  const c = o.order_currency_code;
  // A configurable's line is its parent item (which carries the child's SKU and the price); the child
  // item under it repeats the quantity at price 0 and is left out.
  const lines = o.items.filter((i) => i.parent_item_id == null);
  const shipping = o.extension_attributes?.shipping_assignments?.[0]?.shipping?.address ?? null;
  const name = [o.customer_firstname, o.customer_lastname].filter((s) => s && s.trim()).join(' ');
  return {
    external_id: String(o.entity_id),
    order_number: o.increment_id ?? String(o.entity_id),
    marketplace_id: null,
    status: orderStatus(o.state, lines),
    channel_status: (o.status ?? o.state ?? 'unknown').slice(0, 128),
    fulfillment_channel: 'merchant',
    currency: c,
    totals: {
      subtotal: money(o.subtotal ?? 0, c),
      shipping: money(o.shipping_amount ?? 0, c),
      tax: money(o.tax_amount ?? 0, c),
      // Magento keeps discounts negative; the canonical discount is the amount taken off.
      discount: money(Math.abs(o.discount_amount ?? 0), c),
      total: money(o.grand_total, c),
    },
    billing_address: address(o.billing_address),
    shipping_address: address(shipping),
    customer: { external_id: o.customer_id == null ? null : String(o.customer_id), email: cut(o.customer_email, 320), name: cut(name || null, 255) },
    lines: lines.map((i) => ({
      external_id: String(i.item_id),
      sku: i.sku.slice(0, 255),
      title: cut(i.name, 1024),
      quantity: qty(i.qty_ordered),
      quantity_shipped: qty(i.qty_shipped),
      quantity_canceled: qty(i.qty_canceled),
      unit_price: money(i.price ?? 0, c),
      tax: money(i.tax_amount ?? 0, c),
      discount: money(Math.abs(i.discount_amount ?? 0), c),
      total: money(i.row_total ?? 0, c),
    })),
    placed_at: o.created_at,
    created_at: o.created_at,
    updated_at: o.updated_at,
  };
}

export function toShipment(record: RawRecord): ShipmentInput {
  const s = readOrThrow(MShipment, 'shipments', record);
  const track = s.tracks[0];
  return {
    external_id: String(s.entity_id),
    order_external_id: String(s.order_id),
    lines: s.items.filter((i) => qty(i.qty) >= 1).map((i) => ({ external_line_id: String(i.order_item_id), sku: (i.sku ?? '').slice(0, 255), quantity: qty(i.qty) })),
    carrier: cut(track?.carrier_code ?? null, 255),
    service: cut(track?.title ?? null, 255),
    tracking_number: cut(track?.track_number ?? null, 255),
    tracking_url: null,
    shipped_at: s.created_at,
    created_at: s.created_at,
    updated_at: s.updated_at,
  };
}

export function toCustomer(record: RawRecord): CustomerInput {
  const c = readOrThrow(MCustomer, 'customers', record);
  const phone = c.addresses.find((a) => a.telephone)?.telephone ?? null;
  return {
    external_id: String(c.id),
    email: cut(c.email, 320),
    first_name: cut(c.firstname, 255),
    last_name: cut(c.lastname, 255),
    phone: cut(phone, 64),
    group: c.group_id == null ? null : String(c.group_id),
    addresses: c.addresses.map((a) => address(a)!),
    created_at: c.created_at,
    updated_at: c.updated_at,
  };
}

export function toCategory(record: RawRecord): CategoryInput {
  const payload = readOrThrow(CategoryEnvelope, 'categories', record);
  const c = readOrThrow(MCategory, 'categories', record, payload.category);
  const stamp = c.updated_at ?? c.created_at ?? payload.observed_at;
  return {
    external_id: String(c.id),
    name: c.name.slice(0, 1024),
    parent_external_id: c.parent_id == null || c.parent_id === 0 ? null : String(c.parent_id),
    path: payload.path_names,
    position: c.position ?? 0,
    is_active: c.is_active ?? true,
    created_at: c.created_at ?? stamp,
    updated_at: stamp,
  };
}

export function toInventory(record: RawRecord): InventoryLevelInput {
  const p = readOrThrow(InventoryEnvelope, 'inventory', record);
  const quantity = Math.round(p.quantity);
  // Reservations belong to a stock, not a source: they are put on the level only when the SKU has a
  // single source (the usual "default" setup); with several sources the levels show source quantities.
  if (p.kind !== 'msi' || p.salable_qty === null || p.sources_of_sku !== 1) {
    return { sku: p.sku, location_id: p.source_code, fulfillment_channel: 'merchant', on_hand: quantity, reserved: 0, available: quantity, updated_at: p.observed_at };
  }
  // What Magento sells is the salable quantity, also when it is above the source quantity (compensating
  // reservations of a cancel, a refund or a shipment not yet matched by a source deduction): the channels
  // offer that many. on_hand is the larger of the two so that reserved = on_hand - available is never
  // negative; a salable quantity below zero (Magento oversold) stays visible as a negative available.
  const salable = Math.round(p.salable_qty);
  const onHand = Math.max(quantity, salable);
  return { sku: p.sku, location_id: p.source_code, fulfillment_channel: 'merchant', on_hand: onHand, reserved: onHand - salable, available: salable, updated_at: p.observed_at };
}

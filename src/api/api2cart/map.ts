// Canonical records in API2Cart's response shapes (the document's Product, Child, Order, Customer,
// Category, Shipment), field names as the document spells them.
import type { Address, Category, Customer, InventoryLevel, Order, Product, Shipment, Variant } from '../../core/model/index.ts';

type Obj = Record<string, unknown>;

/** API2Cart's date object: the value in `Y-m-d\TH:i:sO` form (e.g. 2026-01-01T00:00:00+0000). */
export function a2cDate(iso: string | null | undefined): { value: string; format: string } | null {
  if (!iso) return null;
  return { value: new Date(iso).toISOString().replace(/\.\d{3}Z$/, '+0000'), format: 'Y-m-d\\TH:i:sO' };
}

const num = (amount: string | null | undefined): number | null => (amount == null ? null : Number(amount));

function firstPrice(prices: Product['prices']): number | null {
  return num(prices[0]?.price.amount);
}

/** Available stock in total and per location (a parent's variants at one location add up). */
function inventoryOf(levels: readonly InventoryLevel[]): { quantity: number | null; inventory: Obj[] } {
  if (levels.length === 0) return { quantity: null, inventory: [] };
  const byLocation = new Map<string, number>();
  for (const l of levels) byLocation.set(l.location_id, (byLocation.get(l.location_id) ?? 0) + l.available);
  return {
    quantity: levels.reduce((n, l) => n + l.available, 0),
    inventory: [...byLocation].map(([location, available]) => ({ warehouse_id: location, quantity: available, in_stock: available > 0 })),
  };
}

function images(list: Product['images']): Obj[] {
  return list.map((img) => ({
    id: String(img.position),
    http_path: img.url,
    file_name: img.url.split('/').pop() ?? null,
    alt: img.alt ?? null,
    avail: true,
    sort_order: img.position,
    type: img.position === 0 ? 'base' : 'additional',
  }));
}

export function toA2cProduct(p: Product, levels: readonly InventoryLevel[]): Obj {
  const sku = p.identifiers.sku ?? p.variants[0]?.sku ?? null;
  const stock = inventoryOf(levels);
  const weight = p.variants[0]?.weight;
  return {
    id: p.id,
    type: p.variants.length > 1 || p.options.length > 0 ? 'configurable' : 'simple',
    u_model: sku,
    u_sku: sku,
    name: p.title,
    description: p.description ?? null,
    short_description: null,
    price: firstPrice(p.prices) ?? firstPrice(p.variants[0]?.prices ?? []),
    quantity: stock.quantity,
    inventory: stock.inventory,
    u_brand: p.brand ?? null,
    categories_ids: p.category_ids,
    stores_ids: [],
    avail_sale: p.status === 'active',
    avail_view: p.status === 'active',
    weight: weight ? Number(weight.value) : null,
    weight_unit: weight?.unit ?? null,
    in_stock: stock.quantity === null ? null : stock.quantity > 0,
    create_at: a2cDate(p.created_at),
    modified_at: a2cDate(p.updated_at),
    images: images(p.images),
    product_options: p.options.map((o, i) => ({
      id: String(i),
      product_option_id: o.name,
      name: o.name,
      type: 'select',
      option_items: o.values.map((v) => ({ id: v, name: v })),
    })),
    u_upc: p.identifiers.upc ?? null,
    u_mpn: p.identifiers.mpn ?? null,
    u_gtin: p.identifiers.gtin ?? null,
    u_isbn: p.identifiers.isbn ?? null,
    u_ean: p.identifiers.ean ?? null,
    status: p.status === 'active' ? 'enabled' : 'disabled',
  };
}

/** A variant as product.variant.* returns it: a Product with the parent's id beside it. */
export function toA2cVariantProduct(p: Product, v: Variant, levels: readonly InventoryLevel[]): Obj {
  const stock = inventoryOf(levels);
  return {
    id: v.id,
    type: 'simple',
    u_model: v.sku,
    u_sku: v.sku,
    name: v.title ?? p.title,
    description: p.description ?? null,
    price: firstPrice(v.prices) ?? firstPrice(p.prices),
    quantity: stock.quantity,
    inventory: stock.inventory,
    categories_ids: p.category_ids,
    avail_sale: p.status === 'active',
    avail_view: p.status === 'active',
    weight: v.weight ? Number(v.weight.value) : null,
    weight_unit: v.weight?.unit ?? null,
    modified_at: a2cDate(v.updated_at),
    create_at: a2cDate(p.created_at),
    u_upc: v.identifiers.upc ?? null,
    u_ean: v.identifiers.ean ?? null,
    u_gtin: v.identifiers.gtin ?? null,
    u_mpn: v.identifiers.mpn ?? null,
    u_isbn: v.identifiers.isbn ?? null,
    additional_fields: { parent_id: p.id, options: v.options },
  };
}

/** A variant as product.child_item.list returns it (the document's Child). */
export function toA2cChild(p: Product, v: Variant, levels: readonly InventoryLevel[]): Obj {
  const stock = inventoryOf(levels);
  return {
    id: v.id,
    parent_id: p.id,
    sku: v.sku,
    upc: v.identifiers.upc ?? null,
    ean: v.identifiers.ean ?? null,
    mpn: v.identifiers.mpn ?? null,
    gtin: v.identifiers.gtin ?? null,
    isbn: v.identifiers.isbn ?? null,
    sort_order: v.position,
    created_time: a2cDate(p.created_at),
    modified_time: a2cDate(v.updated_at),
    name: v.title ?? p.title,
    full_description: p.description ?? null,
    images: [],
    combination: Object.entries(v.options).map(([option, value]) => ({ option_id: option, option_value_id: value })),
    default_price: firstPrice(v.prices) ?? firstPrice(p.prices),
    avail_for_sale: p.status === 'active',
    in_stock: stock.quantity === null ? null : stock.quantity > 0,
    manage_stock: stock.quantity !== null,
    inventory_level: stock.quantity,
    inventory: stock.inventory,
    weight: v.weight ? Number(v.weight.value) : null,
    weight_unit: v.weight?.unit ?? null,
  };
}

function splitName(name: string | null | undefined): { first_name: string | null; last_name: string | null } {
  if (!name) return { first_name: null, last_name: null };
  const i = name.trim().lastIndexOf(' ');
  return i < 0 ? { first_name: name.trim(), last_name: null } : { first_name: name.slice(0, i).trim(), last_name: name.slice(i + 1) };
}

export function toA2cAddress(a: Address | null | undefined, type: string, id = ''): Obj | null {
  if (!a) return null;
  return {
    id,
    type,
    ...splitName(a.name),
    postcode: a.postal_code ?? '',
    address1: a.line1 ?? '',
    address2: [a.line2, a.line3].filter(Boolean).join(', ') || null,
    phone: a.phone ?? null,
    city: a.city ?? '',
    country: { code2: a.country ?? '', code3: '', name: a.country ?? '' },
    state: a.region ? { code: a.region, name: a.region } : null,
    company: a.company ?? null,
    default: false,
  };
}

export function toA2cOrder(o: Order): Obj {
  const cur = o.currency;
  return {
    id: o.id,
    order_id: o.order_number,
    channel_id: o.marketplace_id ?? null,
    customer: { id: o.customer.customer_id ?? '', email: o.customer.email ?? '', ...splitName(o.customer.name) },
    create_at: a2cDate(o.placed_at ?? o.created_at),
    currency: { id: cur, name: cur, iso3: cur, symbol_left: '', symbol_right: '', default: true },
    shipping_address: toA2cAddress(o.shipping_address, 'shipping'),
    billing_address: toA2cAddress(o.billing_address, 'billing'),
    status: { id: o.channel_status, name: o.channel_status, history: [] },
    totals: {
      total: Number(o.totals.total.amount),
      subtotal: Number(o.totals.subtotal.amount),
      shipping: Number(o.totals.shipping.amount),
      tax: Number(o.totals.tax.amount),
      discount: Number(o.totals.discount.amount),
    },
    total: {
      subtotal_ex_tax: Number(o.totals.subtotal.amount),
      shipping_ex_tax: Number(o.totals.shipping.amount),
      total_discount: Number(o.totals.discount.amount),
      total_tax: Number(o.totals.tax.amount),
      total: Number(o.totals.total.amount),
    },
    order_products: o.lines.map((l) => ({
      product_id: l.product_id ?? null,
      order_product_id: l.id,
      model: l.sku,
      name: l.title ?? l.sku,
      price: Number(l.unit_price.amount),
      quantity: l.quantity,
      discount_amount: Number(l.discount.amount),
      total_price: Number(l.total.amount),
      tax_value: Number(l.tax.amount),
      variant_id: l.variant_id ?? null,
      options: [],
    })),
    bundles: [],
    discounts: [],
    shipping_methods: [],
    refunds: [],
    warehouses_ids: [],
    modified_at: a2cDate(o.updated_at),
    store_id: o.marketplace_id ?? null,
    additional_fields: { status: o.status, fulfillment_channel: o.fulfillment_channel, external_id: o.external_id, channel: o.channel },
  };
}

export function toA2cCustomer(c: Customer): Obj {
  return {
    id: c.id,
    email: c.email ?? '',
    first_name: c.first_name ?? null,
    last_name: c.last_name ?? null,
    phone: c.phone ?? null,
    created_time: a2cDate(c.created_at),
    modified_time: a2cDate(c.updated_at),
    group: c.group ? [{ id: c.group, name: c.group }] : [],
    is_guest: false,
    stores_ids: [],
    consents: [],
    address_book: c.addresses.map((a, i) => toA2cAddress(a, 'address', String(i))),
  };
}

export function toA2cCategory(c: Category): Obj {
  return {
    id: c.id,
    parent_id: c.parent_id ?? '0',
    created_at: a2cDate(c.created_at),
    modified_at: a2cDate(c.updated_at),
    name: c.name,
    description: null,
    stores_ids: [],
    avail: c.is_active,
    path: c.path.join('/'),
    sort_order: c.position,
    images: [],
  };
}

export function toA2cShipment(s: Shipment, lineIds: ReadonlyMap<string, string>): Obj {
  return {
    id: s.id,
    order_id: s.order_id,
    shipment_provider: s.carrier ?? null,
    tracking_numbers: s.tracking_number ? [{ carrier_id: s.carrier ?? null, tracking_number: s.tracking_number }] : [],
    created_at: a2cDate(s.created_at),
    modified_time: a2cDate(s.updated_at),
    items: s.lines.map((l) => ({
      order_product_id: l.order_line_id ?? (l.external_line_id ? (lineIds.get(l.external_line_id) ?? null) : null),
      model: l.sku,
      quantity: l.quantity,
    })),
    is_shipped: s.shipped_at != null,
  };
}

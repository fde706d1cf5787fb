// Magento's JSON shapes for the simulator's compact rows (field names and types as in admin-schema-2.4.8.yaml).
import { ATTRIBUTE_IDS, COLOR_OPTIONS, SIZE_OPTIONS, magentoDate, round2, type Address, type Category, type Customer, type Invoice, type MagentoState, type Order, type OrderItem, type Product, type Shipment, type Store } from './state.ts';

type J = Record<string, unknown>;

export function stockItemJson(state: MagentoState, p: Product): J {
  const qty = state.legacyQty(p.sku);
  const si = state.sourceItem(p.sku, 'default');
  return {
    item_id: p.id,
    product_id: p.id,
    stock_id: 1,
    qty: p.type_id === 'configurable' ? 0 : qty,
    is_in_stock: p.type_id === 'configurable' ? p.children.some((c) => state.legacyQty(state.productsById.get(c)!.sku) > 0) : (si?.status ?? 0) === 1,
    is_qty_decimal: false,
    show_default_notification_message: false,
    use_config_min_qty: true,
    min_qty: 0,
    use_config_min_sale_qty: 1,
    min_sale_qty: 1,
    use_config_max_sale_qty: true,
    max_sale_qty: 10000,
    use_config_backorders: true,
    backorders: 0,
    use_config_notify_stock_qty: true,
    notify_stock_qty: 1,
    use_config_qty_increments: true,
    qty_increments: 0,
    use_config_enable_qty_inc: true,
    enable_qty_increments: false,
    use_config_manage_stock: true,
    manage_stock: true,
    low_stock_date: null,
    is_decimal_divided: false,
    stock_status_changed_auto: 0,
  };
}

export function configurableOptionsJson(state: MagentoState, p: Product): J[] {
  const children = p.children.map((id) => state.productsById.get(id)!);
  const opt = (code: 'color' | 'size', label: string, position: number, id: number) => ({
    id,
    attribute_id: String(ATTRIBUTE_IDS[code]),
    label,
    position,
    values: [...new Set(children.map((c) => c.attrs[code]).filter((v): v is string => !!v))].map((v) => ({ value_index: Number(v) })),
    product_id: p.id,
  });
  return [opt('color', 'Color', 0, p.id * 10 + 1), opt('size', 'Size', 1, p.id * 10 + 2)];
}

/** A product as GET /V1/products/{sku} (and the list) answers it, in the store view's scope. */
export function productJson(state: MagentoState, p: Product, store: Store | null): J {
  const sv = store ? p.storeValues[store.code] ?? {} : {};
  const attrs = { ...p.attrs, ...sv };
  delete attrs.name;
  const custom = Object.entries(attrs).map(([attribute_code, value]) => ({ attribute_code, value }));
  const ext: J = {
    website_ids: p.website_ids,
    category_links: p.category_ids.map((id, position) => ({ position, category_id: String(id) })),
    stock_item: stockItemJson(state, p),
  };
  if (p.type_id === 'configurable') {
    ext.configurable_product_options = configurableOptionsJson(state, p);
    ext.configurable_product_links = p.children;
  }
  const out: J = {
    id: p.id,
    sku: p.sku,
    name: sv.name ?? p.name,
    attribute_set_id: p.attribute_set_id,
    price: state.priceIn(p, store),
    status: p.status,
    visibility: p.visibility,
    type_id: p.type_id,
    created_at: magentoDate(p.created_at),
    updated_at: magentoDate(p.updated_at),
  };
  if (p.weight !== null) out.weight = p.weight;
  out.extension_attributes = ext;
  out.product_links = [];
  out.options = [];
  out.media_gallery_entries = p.media.map((m) => ({ ...m }));
  out.tier_prices = [];
  out.custom_attributes = custom;
  return out;
}

function addressJson(a: Address, type: 'billing' | 'shipping', id: number, parent: number, email: string): J {
  const out: J = {
    address_type: type,
    city: a.city,
    country_id: a.country_id,
    email: a.email ?? email,
    entity_id: id,
    firstname: a.firstname,
    lastname: a.lastname,
    parent_id: parent,
    postcode: a.postcode,
    street: a.street,
    telephone: a.telephone,
  };
  if (a.region) out.region = a.region;
  if (a.company) out.company = a.company;
  return out;
}

export function orderItemJson(o: Order, it: OrderItem, withParent = true): J {
  const out: J = {
    amount_refunded: 0,
    base_amount_refunded: 0,
    base_discount_amount: it.discount_amount,
    base_original_price: it.original_price,
    base_price: it.price,
    base_price_incl_tax: round2(it.price + (it.qty_ordered ? it.tax_amount / it.qty_ordered : 0)),
    base_row_total: it.row_total,
    base_row_total_incl_tax: round2(it.row_total + it.tax_amount),
    base_tax_amount: it.tax_amount,
    created_at: magentoDate(o.created_at),
    discount_amount: it.discount_amount,
    discount_percent: 0,
    free_shipping: 0,
    is_qty_decimal: 0,
    is_virtual: 0,
    item_id: it.item_id,
    name: it.name,
    no_discount: 0,
    order_id: o.entity_id,
    original_price: it.original_price,
    price: it.price,
    price_incl_tax: round2(it.price + (it.qty_ordered ? it.tax_amount / it.qty_ordered : 0)),
    product_id: it.product_id,
    product_type: it.product_type,
    qty_canceled: it.qty_canceled,
    qty_invoiced: it.qty_invoiced,
    qty_ordered: it.qty_ordered,
    qty_refunded: 0,
    qty_shipped: it.qty_shipped,
    row_total: it.row_total,
    row_total_incl_tax: round2(it.row_total + it.tax_amount),
    row_weight: round2(it.weight * it.qty_ordered),
    sku: it.sku,
    store_id: o.store_id,
    tax_amount: it.tax_amount,
    tax_percent: 0,
    updated_at: magentoDate(o.updated_at),
    weight: it.weight,
  };
  if (it.ext_order_item_id) out.ext_order_item_id = it.ext_order_item_id;
  if (it.parent_item_id !== null) {
    out.parent_item_id = it.parent_item_id;
    const parent = o.items.find((x) => x.item_id === it.parent_item_id);
    if (parent && withParent) out.parent_item = orderItemJson(o, parent, false);
  }
  if (it.options) {
    out.product_option = { extension_attributes: { configurable_item_options: it.options.map((x) => ({ option_id: x.option_id, option_value: x.option_value })) } };
  }
  return out;
}

export function orderJson(state: MagentoState, o: Order): J {
  const billingId = o.entity_id * 2 - 1;
  const shippingId = o.entity_id * 2;
  const items = o.items.map((it) => orderItemJson(o, it));
  const qty = o.items.filter((it) => it.parent_item_id === null).reduce((n, it) => n + it.qty_ordered, 0);
  const store = state.storeById(o.store_id);
  const paid = o.total_paid;
  const out: J = {
    base_currency_code: o.currency,
    base_discount_amount: o.discount_amount,
    base_grand_total: o.grand_total,
    base_discount_tax_compensation_amount: 0,
    base_shipping_amount: o.shipping_amount,
    base_shipping_discount_amount: 0,
    base_shipping_incl_tax: o.shipping_amount,
    base_shipping_tax_amount: 0,
    base_subtotal: o.subtotal,
    base_subtotal_incl_tax: round2(o.subtotal + o.tax_amount),
    base_tax_amount: o.tax_amount,
    base_total_due: round2(o.grand_total - paid),
    base_total_paid: paid,
    base_to_global_rate: 1,
    base_to_order_rate: 1,
    billing_address_id: billingId,
    created_at: magentoDate(o.created_at),
    customer_email: o.customer_email,
    customer_firstname: o.customer_firstname,
    customer_group_id: o.customer_group_id,
    customer_is_guest: o.customer_id === null ? 1 : 0,
    customer_lastname: o.customer_lastname,
    customer_note_notify: 1,
    discount_amount: o.discount_amount,
    email_sent: 1,
    entity_id: o.entity_id,
    global_currency_code: o.currency,
    grand_total: o.grand_total,
    discount_tax_compensation_amount: 0,
    increment_id: o.increment_id,
    is_virtual: 0,
    order_currency_code: o.currency,
    protect_code: `pc${o.entity_id.toString(16)}`,
    quote_id: o.entity_id,
    shipping_amount: o.shipping_amount,
    shipping_description: o.shipping_description,
    shipping_discount_amount: 0,
    shipping_incl_tax: o.shipping_amount,
    shipping_tax_amount: 0,
    state: o.state,
    status: o.status,
    store_currency_code: o.currency,
    store_id: o.store_id,
    store_name: store ? `Main Website\nMain Website Store\n${store.name}` : 'Main Website',
    store_to_base_rate: 0,
    store_to_order_rate: 0,
    subtotal: o.subtotal,
    subtotal_incl_tax: round2(o.subtotal + o.tax_amount),
    tax_amount: o.tax_amount,
    total_due: round2(o.grand_total - paid),
    total_item_count: o.items.filter((it) => it.parent_item_id === null).length,
    total_paid: paid,
    total_qty_ordered: qty,
    updated_at: magentoDate(o.updated_at),
    weight: round2(o.items.filter((it) => it.parent_item_id === null).reduce((n, it) => n + it.weight * it.qty_ordered, 0)),
    items,
    billing_address: addressJson(o.billing, 'billing', billingId, o.entity_id, o.customer_email),
    payment: {
      account_status: null,
      additional_information: [o.payment_method === 'checkmo' ? 'Check / Money order' : 'Bank Transfer Payment'],
      amount_ordered: o.grand_total,
      base_amount_ordered: o.grand_total,
      base_shipping_amount: o.shipping_amount,
      cc_last4: null,
      entity_id: o.entity_id,
      method: o.payment_method,
      parent_id: o.entity_id,
      shipping_amount: o.shipping_amount,
      ...(paid ? { amount_paid: paid, base_amount_paid: paid } : {}),
    },
    status_histories: [...o.comments].reverse().map((h) => ({ comment: h.comment, created_at: magentoDate(h.created_at), entity_id: h.entity_id, entity_name: h.entity_name, is_customer_notified: h.is_customer_notified, is_visible_on_front: h.is_visible_on_front, parent_id: h.parent_id, status: h.status })),
    extension_attributes: {
      shipping_assignments: [
        {
          shipping: {
            ...(o.shipping ? { address: addressJson(o.shipping, 'shipping', shippingId, o.entity_id, o.customer_email) } : {}),
            method: o.shipping_method,
            total: { base_shipping_amount: o.shipping_amount, base_shipping_incl_tax: o.shipping_amount, shipping_amount: o.shipping_amount, shipping_incl_tax: o.shipping_amount, shipping_tax_amount: 0, base_shipping_tax_amount: 0 },
          },
          items: items,
        },
      ],
      payment_additional_info: [{ key: 'method_title', value: o.payment_method === 'checkmo' ? 'Check / Money order' : 'Bank Transfer Payment' }],
      applied_taxes: [],
      item_applied_taxes: [],
      converting_from_quote: false,
    },
  };
  if (o.customer_id !== null) out.customer_id = o.customer_id;
  if (o.ext_order_id) out.ext_order_id = o.ext_order_id;
  return out;
}

export function shipmentJson(s: Shipment, o: Order | undefined): J {
  return {
    billing_address_id: s.order_id * 2 - 1,
    created_at: magentoDate(s.created_at),
    ...(o?.customer_id ? { customer_id: o.customer_id } : {}),
    email_sent: 0,
    entity_id: s.entity_id,
    increment_id: s.increment_id,
    order_id: s.order_id,
    packages: [],
    shipping_address_id: s.order_id * 2,
    store_id: s.store_id,
    total_qty: s.items.reduce((n, i) => n + i.qty, 0),
    updated_at: magentoDate(s.updated_at),
    items: s.items.map((i) => ({ entity_id: i.entity_id, name: i.name, parent_id: s.entity_id, price: i.price, product_id: i.product_id, sku: i.sku, weight: i.weight, order_item_id: i.order_item_id, qty: i.qty })),
    tracks: s.tracks.map((t) => ({ order_id: t.order_id, created_at: magentoDate(t.created_at), entity_id: t.entity_id, parent_id: t.parent_id, updated_at: magentoDate(t.created_at), weight: 0, qty: 0, description: '', track_number: t.track_number, title: t.title, carrier_code: t.carrier_code })),
    comments: s.comments.map((c) => ({ ...c, created_at: magentoDate(c.created_at) })),
  };
}

export function invoiceJson(inv: Invoice, o: Order | undefined): J {
  const cur = o?.currency ?? 'USD';
  return {
    base_currency_code: cur,
    base_grand_total: inv.grand_total,
    base_shipping_amount: inv.shipping_amount,
    base_subtotal: inv.subtotal,
    base_tax_amount: inv.tax_amount,
    billing_address_id: inv.order_id * 2 - 1,
    can_void_flag: 0,
    created_at: magentoDate(inv.created_at),
    email_sent: 0,
    entity_id: inv.entity_id,
    global_currency_code: cur,
    grand_total: inv.grand_total,
    increment_id: inv.increment_id,
    order_currency_code: cur,
    order_id: inv.order_id,
    shipping_address_id: inv.order_id * 2,
    shipping_amount: inv.shipping_amount,
    state: inv.state,
    store_currency_code: cur,
    store_id: inv.store_id,
    subtotal: inv.subtotal,
    tax_amount: inv.tax_amount,
    total_qty: inv.items.reduce((n, i) => n + i.qty, 0),
    updated_at: magentoDate(inv.updated_at),
    items: inv.items.map((i) => ({ entity_id: i.entity_id, name: i.name, parent_id: inv.entity_id, price: i.price, product_id: i.product_id, row_total: i.row_total, sku: i.sku, order_item_id: i.order_item_id, qty: i.qty })),
    comments: [],
  };
}

export function customerJson(c: Customer, state: MagentoState): J {
  const store = state.storeById(c.store_id);
  return {
    id: c.id,
    group_id: c.group_id,
    default_billing: String(c.id),
    default_shipping: String(c.id),
    created_at: magentoDate(c.created_at),
    updated_at: magentoDate(c.updated_at),
    created_in: store?.name ?? 'Default Store View',
    email: c.email,
    firstname: c.firstname,
    lastname: c.lastname,
    store_id: c.store_id,
    website_id: c.website_id,
    addresses: [
      {
        id: c.id,
        customer_id: c.id,
        region: { region_code: c.address.region ?? '', region: c.address.region ?? '', region_id: 0 },
        region_id: 0,
        country_id: c.address.country_id,
        street: c.address.street,
        telephone: c.address.telephone,
        postcode: c.address.postcode,
        city: c.address.city,
        firstname: c.address.firstname,
        lastname: c.address.lastname,
        default_shipping: true,
        default_billing: true,
      },
    ],
    disable_auto_group_change: 0,
    extension_attributes: { is_subscribed: false },
  };
}

export function categoryTreeJson(state: MagentoState, root: Category, depth: number | null): J {
  const kids = state.categories.filter((c) => c.parent_id === root.id).sort((a, b) => a.position - b.position);
  return {
    id: root.id,
    parent_id: root.parent_id,
    name: root.name,
    is_active: root.is_active,
    position: root.position,
    level: root.level,
    product_count: state.products.filter((p) => p.category_ids.includes(root.id)).length,
    children_data: depth === 0 ? [] : kids.map((k) => categoryTreeJson(state, k, depth === null ? null : depth - 1)),
  };
}

export function categoryJson(state: MagentoState, c: Category): J {
  return {
    id: c.id,
    parent_id: c.parent_id,
    name: c.name,
    is_active: c.is_active,
    position: c.position,
    level: c.level,
    children: state.categories.filter((x) => x.parent_id === c.id).map((x) => x.id).join(','),
    created_at: magentoDate(c.created_at),
    updated_at: magentoDate(c.updated_at),
    path: c.path,
    include_in_menu: true,
    custom_attributes: [
      { attribute_code: 'url_key', value: c.name.toLowerCase().replace(/[^a-z0-9]+/g, '-') },
      { attribute_code: 'is_anchor', value: '1' },
    ],
  };
}

export function attributeJson(code: string): J | null {
  const opts = code === 'color' ? COLOR_OPTIONS : code === 'size' ? SIZE_OPTIONS : null;
  if (!opts) return null;
  return {
    is_wysiwyg_enabled: false,
    is_html_allowed_on_front: true,
    used_for_sort_by: false,
    is_filterable: true,
    is_filterable_in_search: false,
    is_used_in_grid: true,
    is_visible_in_grid: false,
    is_filterable_in_grid: true,
    position: 0,
    apply_to: [],
    is_searchable: '0',
    is_visible_in_advanced_search: '0',
    is_comparable: '0',
    is_used_for_promo_rules: '0',
    is_visible_on_front: '0',
    used_in_product_listing: '0',
    is_visible: true,
    scope: 'global',
    attribute_id: ATTRIBUTE_IDS[code as 'color' | 'size'],
    attribute_code: code,
    frontend_input: 'select',
    entity_type_id: '4',
    is_required: false,
    options: attributeOptionsJson(code),
    is_user_defined: true,
    default_frontend_label: code === 'color' ? 'Color' : 'Size',
    frontend_labels: [{ store_id: 2, label: code === 'color' ? 'Farbe' : 'Größe' }],
    backend_type: 'int',
    source_model: 'Magento\\Eav\\Model\\Entity\\Attribute\\Source\\Table',
    default_value: '',
    is_unique: '0',
    validation_rules: [],
  };
}

export function attributeOptionsJson(code: string): J[] {
  const opts = code === 'color' ? COLOR_OPTIONS : SIZE_OPTIONS;
  return [{ label: ' ', value: '' }, ...opts.map((o, i) => ({ label: o.label, value: o.value, sort_order: i + 1, is_default: false, store_labels: [] }))];
}

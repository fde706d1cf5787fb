// The order payload of createOrder: a canonical order as Magento's order repository saves it.
import type { OrderInput } from '../../core/model/index.ts';
import { magentoFromIso } from './map.ts';

const n = (amount: string) => Number(amount);

function splitName(name: string | null | undefined): { firstname: string; lastname: string } {
  const parts = (name ?? '').trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return { firstname: 'Unknown', lastname: 'Customer' };
  if (parts.length === 1) return { firstname: parts[0]!, lastname: parts[0]! };
  return { firstname: parts.slice(0, -1).join(' '), lastname: parts[parts.length - 1]! };
}

function orderAddress(a: OrderInput['billing_address'], type: 'billing' | 'shipping', email: string) {
  const { firstname, lastname } = splitName(a?.name);
  return {
    address_type: type,
    firstname,
    lastname,
    company: a?.company ?? undefined,
    street: [a?.line1, a?.line2, a?.line3].filter((x): x is string => !!x),
    city: a?.city ?? '-',
    region: a?.region ?? undefined,
    postcode: a?.postal_code ?? '-',
    country_id: a?.country ?? 'US',
    telephone: a?.phone ?? '-',
    email: a?.email ?? email,
  };
}

/**
 * The order as Magento's order repository saves it (POST /V1/orders): every amount as the source
 * channel charged it, in its currency (base = order currency, rate 1), nothing recalculated.
 */
export function orderEntity(input: OrderInput, extOrderId: string, paymentMethod: string): Record<string, unknown> {
  const t = input.totals;
  const cur = input.currency;
  const email = input.customer.email ?? 'unknown@invalid.example';
  const { firstname, lastname } = splitName(input.customer.name ?? input.billing_address?.name);
  const items = input.lines.map((l) => {
    const q = l.quantity;
    const tax = n(l.tax.amount);
    const disc = n(l.discount.amount);
    const rowTotal = n(l.total.amount);
    return {
      sku: l.sku,
      name: l.title ?? l.sku,
      product_type: 'simple',
      qty_ordered: q,
      price: n(l.unit_price.amount),
      base_price: n(l.unit_price.amount),
      original_price: n(l.unit_price.amount),
      base_original_price: n(l.unit_price.amount),
      price_incl_tax: q > 0 ? Math.round(((rowTotal + tax) / q) * 10_000) / 10_000 : 0,
      row_total: rowTotal,
      base_row_total: rowTotal,
      row_total_incl_tax: Math.round((rowTotal + tax) * 10_000) / 10_000,
      base_row_total_incl_tax: Math.round((rowTotal + tax) * 10_000) / 10_000,
      tax_amount: tax,
      base_tax_amount: tax,
      discount_amount: disc,
      base_discount_amount: disc,
      ext_order_item_id: l.external_id.slice(0, 255),
    };
  });
  const billing = orderAddress(input.billing_address ?? input.shipping_address ?? null, 'billing', email);
  const shipping = orderAddress(input.shipping_address ?? input.billing_address ?? null, 'shipping', email);
  const money = (field: string, value: string) => ({ [field]: n(value), [`base_${field}`]: n(value) });
  return {
    ext_order_id: extOrderId,
    state: 'processing',
    status: 'processing',
    order_currency_code: cur,
    base_currency_code: cur,
    global_currency_code: cur,
    store_currency_code: cur,
    base_to_order_rate: 1,
    base_to_global_rate: 1,
    customer_email: email,
    customer_firstname: firstname,
    customer_lastname: lastname,
    customer_is_guest: 1,
    ...money('subtotal', t.subtotal.amount),
    ...money('shipping_amount', t.shipping.amount),
    ...money('tax_amount', t.tax.amount),
    // Magento keeps discounts negative.
    discount_amount: -n(t.discount.amount),
    base_discount_amount: -n(t.discount.amount),
    ...money('grand_total', t.total.amount),
    total_qty_ordered: input.lines.reduce((q, l) => q + l.quantity, 0),
    total_item_count: input.lines.length,
    created_at: input.placed_at ? magentoFromIso(input.placed_at) : undefined,
    items,
    billing_address: billing,
    payment: { method: paymentMethod, account_status: null, additional_information: [`source order ${input.order_number}`], cc_last4: null, amount_ordered: n(t.total.amount), base_amount_ordered: n(t.total.amount) },
    status_histories: [{ comment: `Imported by Switchyard: order ${input.order_number}${input.marketplace_id ? ` (${input.marketplace_id})` : ''} [${extOrderId}]`, is_customer_notified: 0, is_visible_on_front: 0, parent_id: 0, status: 'processing' }],
    extension_attributes: {
      shipping_assignments: [{ shipping: { address: shipping, method: 'flatrate_flatrate', total: { shipping_amount: n(t.shipping.amount), base_shipping_amount: n(t.shipping.amount) } }, items: [] }],
    },
  };
}


// Deterministic canonical records for tests and benchmarks, written through the store like the sync
// engine writes them.
import type { CustomerInput, OrderInput, ProductInput, ShipmentInput, InventoryLevelInput } from '../../src/core/model/index.ts';
import type { Db } from '../../src/store/db.ts';
import { insertConnection } from '../../src/store/connections.ts';
import { AesGcmSecretBox } from '../../src/store/secrets.ts';
import { randomBytes } from 'node:crypto';

/** The key that seals test credentials; child worker processes get it as SWITCHYARD_SECRET_KEY. */
export const TEST_SECRET_KEY = randomBytes(32).toString('hex');
export const testBox = new AesGcmSecretBox(Buffer.from(TEST_SECRET_KEY, 'hex'));

const money = (amount: string, currency = 'EUR') => ({ amount, currency });
const at = (base: number, i: number) => new Date(base + i * 1000).toISOString();
const BASE = Date.parse('2026-01-01T00:00:00Z');

export async function seedConnection(db: Db, tenantId: string, channel = 'scripted', name = 'Test shop') {
  return insertConnection(db, testBox, tenantId, { channel, name, settings: { base_url: 'https://shop.example' }, credentials: { api_key: 'secret-value' } });
}

export function orderInput(i: number, opts: { lines?: number; currency?: string; customerExternalId?: string } = {}): OrderInput {
  const lines = opts.lines ?? 3;
  const currency = opts.currency ?? 'EUR';
  return {
    external_id: `EXT-${i}`,
    order_number: `10000${i}`,
    marketplace_id: null,
    status: i % 5 === 0 ? 'shipped' : 'processing',
    channel_status: i % 5 === 0 ? 'complete' : 'processing',
    fulfillment_channel: 'merchant',
    currency,
    totals: {
      subtotal: money(`${lines * 10}.00`, currency),
      shipping: money('4.90', currency),
      tax: money('0.00', currency),
      discount: money('0.00', currency),
      total: money(`${lines * 10 + 4}.90`, currency),
    },
    billing_address: { name: `Buyer ${i}`, line1: `Street ${i}`, city: 'Berlin', postal_code: '10115', country: 'DE' },
    shipping_address: { name: `Buyer ${i}`, line1: `Street ${i}`, city: 'Berlin', postal_code: '10115', country: 'DE' },
    customer: { external_id: opts.customerExternalId ?? `C-${i % 50}`, email: `buyer${i}@example.com`, name: `Buyer ${i}` },
    lines: Array.from({ length: lines }, (_, l) => ({
      external_id: `L-${i}-${l}`,
      sku: `SKU-${(i + l) % 100}`,
      title: `Item ${(i + l) % 100}`,
      quantity: 1,
      quantity_shipped: 0,
      quantity_canceled: 0,
      unit_price: money('10.00', currency),
      tax: money('0.00', currency),
      discount: money('0.00', currency),
      total: money('10.00', currency),
    })),
    placed_at: at(BASE, i),
    created_at: at(BASE, i),
    updated_at: at(BASE, i),
  };
}

export function productInput(i: number, variants = 1): ProductInput {
  return {
    external_id: `P-${i}`,
    title: `Product ${i}`,
    description: `Description of product ${i}`,
    status: 'active',
    product_type: 'SHIRT',
    brand: 'Acme',
    options: variants > 1 ? [{ name: 'size', values: Array.from({ length: variants }, (_, v) => `S${v}`) }] : [],
    identifiers: { sku: variants > 1 ? `PARENT-${i}` : `SKU-${i}` },
    attributes: { material: 'cotton' },
    images: [{ url: `https://img.example/${i}.jpg`, position: 0, roles: ['main'] }],
    category_ids: [],
    prices: [{ price: money('10.00') }],
    variants: Array.from({ length: variants }, (_, v) => ({
      external_id: variants > 1 ? `P-${i}-${v}` : `P-${i}`,
      sku: variants > 1 ? `SKU-${i}-${v}` : `SKU-${i}`,
      title: `Product ${i} ${v}`,
      position: v,
      options: (variants > 1 ? { size: `S${v}` } : {}) as Record<string, string>,
      identifiers: { sku: variants > 1 ? `SKU-${i}-${v}` : `SKU-${i}`, ean: null },
      prices: [{ price: money('10.00') }],
      weight: null,
      attributes: {},
      updated_at: at(BASE, i),
    })),
    created_at: at(BASE, i),
    updated_at: at(BASE, i),
  };
}

export function customerInput(i: number): CustomerInput {
  return {
    external_id: `C-${i}`,
    email: `customer${i}@example.com`,
    first_name: `First${i}`,
    last_name: `Last${i}`,
    phone: null,
    group: 'General',
    addresses: [{ name: `First${i} Last${i}`, line1: 'Main St 1', city: 'Berlin', country: 'DE' }],
    created_at: at(BASE, i),
    updated_at: at(BASE, i),
  };
}

export function shipmentInput(orderIndex: number, n = 0): ShipmentInput {
  return {
    external_id: `S-${orderIndex}-${n}`,
    order_external_id: `EXT-${orderIndex}`,
    lines: [{ external_line_id: `L-${orderIndex}-0`, sku: `SKU-${orderIndex % 100}`, quantity: 1 }],
    carrier: 'DHL',
    service: 'Paket',
    tracking_number: `00340434${orderIndex}${n}`,
    tracking_url: null,
    shipped_at: at(BASE, orderIndex + 60),
    created_at: at(BASE, orderIndex + 60),
    updated_at: at(BASE, orderIndex + 60),
  };
}

export function inventoryInput(i: number, location = 'default'): InventoryLevelInput {
  return { sku: `SKU-${i}`, location_id: location, fulfillment_channel: 'merchant', on_hand: 10 + i, reserved: 1, available: 9 + i, updated_at: at(BASE, i) };
}

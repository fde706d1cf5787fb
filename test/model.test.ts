// The canonical model's zod schemas: what they accept and, above all, what they refuse.
import { describe, expect, test } from 'vitest';
import {
  Address,
  Channel,
  ConnectionCreate,
  ConnectionUpdate,
  CurrencyCode,
  CustomerInput,
  DecimalString,
  InventoryLevelInput,
  Money,
  OrderInput,
  OrderStatus,
  ProductInput,
  ShipmentInput,
} from '../src/core/model/index.ts';
import { customerInput, inventoryInput, orderInput, productInput, shipmentInput } from './support/seed.ts';
import { categoryInput } from './support/fixtures.ts';
import { CategoryInput } from '../src/core/model/index.ts';

const paths = (r: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) => r.error?.issues.map((i) => i.path.join('.')) ?? [];

describe('money', () => {
  test.each(['19.99', '0', '-5.10', '123456789012345678', '0.12345678', '1000000.5'])('accepts the decimal string %s', (v) => {
    expect(DecimalString.parse(v)).toBe(v);
  });

  test.each([
    ['a float', 19.99],
    ['an integer number', 20],
    ['a comma decimal', '19,99'],
    ['an exponent', '1e3'],
    ['more than 8 decimals', '0.123456789'],
    ['more than 18 integer digits', '1234567890123456789'],
    ['a leading plus', '+1.00'],
    ['a trailing dot', '1.'],
    ['surrounding spaces', ' 1.00 '],
    ['an empty string', ''],
  ])('refuses %s', (_what, v) => {
    expect(DecimalString.safeParse(v).success).toBe(false);
  });

  test('Money needs an ISO 4217 code and a decimal string', () => {
    expect(Money.parse({ amount: '19.99', currency: 'EUR' })).toEqual({ amount: '19.99', currency: 'EUR' });
    for (const currency of ['eur', 'EURO', 'EU', '€', '']) expect(CurrencyCode.safeParse(currency).success, currency).toBe(false);
    const bad = Money.safeParse({ amount: 19.99, currency: 'usd' });
    expect(paths(bad).sort()).toEqual(['amount', 'currency']);
  });
});

describe('orders', () => {
  test('a seeded order input is valid and survives parsing unchanged', () => {
    const input = orderInput(7);
    expect(OrderInput.parse(input)).toEqual(input);
  });

  test('every normalized status is accepted and nothing else', () => {
    for (const s of ['pending', 'processing', 'partially_shipped', 'shipped', 'delivered', 'canceled', 'refunded', 'on_hold']) {
      expect(OrderStatus.parse(s)).toBe(s);
    }
    for (const s of ['complete', 'Shipped', 'cancelled', '']) expect(OrderStatus.safeParse(s).success, s).toBe(false);
  });

  test('bad fields are reported at their path', () => {
    const input = orderInput(1);
    const bad = OrderInput.safeParse({
      ...input,
      status: 'complete',
      fulfillment_channel: 'fba',
      currency: 'eur',
      order_number: 'x'.repeat(256),
      totals: { ...input.totals, total: { amount: 34.9, currency: 'EUR' } },
      lines: [{ ...input.lines[0], quantity: 1.5, sku: 's'.repeat(256) }],
      created_at: '2026-01-01 10:00:00',
    });
    expect(bad.success).toBe(false);
    expect(paths(bad).sort()).toEqual(
      ['created_at', 'currency', 'fulfillment_channel', 'lines.0.quantity', 'lines.0.sku', 'order_number', 'status', 'totals.total.amount'].sort(),
    );
  });

  test('addresses take ISO 3166 alpha-2 countries and bounded strings', () => {
    expect(Address.safeParse({ country: 'DE', city: 'Berlin' }).success).toBe(true);
    expect(Address.safeParse({ country: 'DEU' }).success).toBe(false);
    expect(Address.safeParse({ country: 'de' }).success).toBe(false);
    expect(Address.safeParse({ line1: 'x'.repeat(256) }).success).toBe(false);
    expect(Address.safeParse({ postal_code: '1'.repeat(33) }).success).toBe(false);
  });
});

describe('products, customers, categories, shipments, stock', () => {
  test('seeded inputs are valid', () => {
    expect(ProductInput.parse(productInput(1, 3)).variants).toHaveLength(3);
    expect(CustomerInput.parse(customerInput(1)).email).toBe('customer1@example.com');
    expect(CategoryInput.parse(categoryInput(2, 1)).parent_external_id).toBe('CAT-1');
    expect(ShipmentInput.parse(shipmentInput(1)).order_external_id).toBe('EXT-1');
    expect(InventoryLevelInput.parse(inventoryInput(1)).available).toBe(10);
  });

  test('product status, over-long titles and identifiers are refused', () => {
    const p = productInput(1);
    expect(paths(ProductInput.safeParse({ ...p, status: 'enabled' }))).toEqual(['status']);
    expect(paths(ProductInput.safeParse({ ...p, title: 't'.repeat(1025) }))).toEqual(['title']);
    expect(paths(ProductInput.safeParse({ ...p, identifiers: { asin: 'B0123456789' } }))).toEqual(['identifiers.asin']);
    expect(paths(ProductInput.safeParse({ ...p, prices: [{ price: { amount: '1.00', currency: 'eur' } }] }))).toEqual(['prices.0.price.currency']);
  });

  test('stock cannot reserve a negative quantity and counts are integers', () => {
    expect(paths(InventoryLevelInput.safeParse({ ...inventoryInput(1), reserved: -1 }))).toEqual(['reserved']);
    expect(paths(InventoryLevelInput.safeParse({ ...inventoryInput(1), on_hand: 2.5 }))).toEqual(['on_hand']);
    expect(paths(InventoryLevelInput.safeParse({ ...inventoryInput(1), fulfillment_channel: 'fba' }))).toEqual(['fulfillment_channel']);
  });

  test('a shipment line ships at least one unit', () => {
    const s = shipmentInput(1);
    expect(paths(ShipmentInput.safeParse({ ...s, lines: [{ sku: 'A', quantity: 0 }] }))).toEqual(['lines.0.quantity']);
  });

  test('customers bound email and names', () => {
    expect(paths(CustomerInput.safeParse({ ...customerInput(1), email: `${'e'.repeat(320)}@x` }))).toEqual(['email']);
  });
});

describe('connections', () => {
  test('channel names are lower-case identifiers', () => {
    for (const c of ['magento', 'amazon', 'shopify_plus']) expect(Channel.parse(c)).toBe(c);
    for (const c of ['Magento', '1shop', 'a', 'shop-ify', 'x'.repeat(33)]) expect(Channel.safeParse(c).success, c).toBe(false);
  });

  test('create defaults settings and credentials and refuses unknown keys', () => {
    expect(ConnectionCreate.parse({ channel: 'scripted', name: 'A' })).toEqual({ channel: 'scripted', name: 'A', settings: {}, credentials: {} });
    const bad = ConnectionCreate.safeParse({ channel: 'scripted', name: '', status: 'active' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.code).sort()).toEqual(['too_small', 'unrecognized_keys']);
    expect(ConnectionCreate.safeParse({ channel: 'scripted', name: 'n'.repeat(256) }).success).toBe(false);
  });

  test('an update may only pause or resume, never set needs_reauth or disabled itself', () => {
    expect(ConnectionUpdate.parse({ status: 'paused' })).toEqual({ status: 'paused' });
    expect(ConnectionUpdate.safeParse({ status: 'needs_reauth' }).success).toBe(false);
    expect(ConnectionUpdate.safeParse({ status: 'disabled' }).success).toBe(false);
    expect(ConnectionUpdate.safeParse({ channel: 'amazon' }).success).toBe(false);
  });
});

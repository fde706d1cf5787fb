// Magento stock records to canonical levels: what Magento sells (the salable quantity of the SKU's stock)
// is what is available, whether it is below the source quantity (open orders hold reservations) or above
// it (compensations of a cancel before the source was corrected), and a level is never inconsistent.
import { describe, expect, test } from 'vitest';
import { toInventory, type InventoryPayload } from '../../src/adapters/magento/map.ts';
import { InventoryLevelInput } from '../../src/core/model/index.ts';

const at = '2026-11-28T12:00:00.000Z';
const level = (p: Partial<InventoryPayload>) => {
  const payload: InventoryPayload = { kind: 'msi', sku: 'MG-1', source_code: 'default', quantity: 10, salable_qty: 10, sources_of_sku: 1, status: 1, observed_at: at, ...p };
  const out = toInventory({ external_id: `${payload.sku}@${payload.source_code}`, updated_at: at, payload });
  expect(InventoryLevelInput.safeParse(out).success, JSON.stringify(out)).toBe(true);
  expect(out.available, 'available = on_hand - reserved').toBe(out.on_hand - out.reserved);
  return out;
};

describe('Magento stock levels', () => {
  test('reservations of open orders: the salable quantity is available, the rest reserved', () => {
    expect(level({ quantity: 10, salable_qty: 7 })).toMatchObject({ on_hand: 10, reserved: 3, available: 7 });
  });
  test('a salable quantity above the source quantity is what Magento sells; on_hand is the larger of the two', () => {
    expect(level({ quantity: 0, salable_qty: 1 })).toMatchObject({ on_hand: 1, reserved: 0, available: 1 });
    expect(level({ quantity: 4, salable_qty: 6.0 })).toMatchObject({ on_hand: 6, reserved: 0, available: 6 });
  });
  test('an oversold stock (salable below zero) stays visible as a negative available', () => {
    expect(level({ quantity: 0, salable_qty: -1 })).toMatchObject({ on_hand: 0, reserved: 1, available: -1 });
  });
  test('several sources, a legacy stock item or an unknown salable quantity: the source quantity', () => {
    expect(level({ quantity: 5, salable_qty: 2, sources_of_sku: 2 })).toMatchObject({ on_hand: 5, reserved: 0, available: 5 });
    expect(level({ kind: 'legacy', quantity: 5, salable_qty: null })).toMatchObject({ on_hand: 5, reserved: 0, available: 5 });
    expect(level({ quantity: 5, salable_qty: null })).toMatchObject({ on_hand: 5, reserved: 0, available: 5 });
  });
});

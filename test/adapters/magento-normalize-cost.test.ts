// What a Magento stock record costs to normalize, in ratio to the bare parse of the same record with a
// zod schema built once: the inventory pull normalizes every source item of the store on every poll
// (20,000 at the benchmark's merchant), so a schema rebuilt per record (2.5 s for 5,000 records instead
// of 42 ms, ~60x) makes the poll, and every stock propagation behind it, minutes long in simulated time.
// Measured as a ratio in the same process, interleaved and best of several rounds, so a busy machine
// slows both sides alike.
import { describe, expect, test } from 'vitest';
import { InventoryEnvelope, toInventory, type InventoryPayload } from '../../src/adapters/magento/map.ts';
import type { RawRecord } from '../../src/core/ports.ts';

const N = 5_000;
const observed = new Date().toISOString();
const records: RawRecord[] = Array.from({ length: N }, (_, i) => {
  const payload: InventoryPayload = { kind: 'msi', sku: `SKU-${i}`, source_code: 'default', quantity: i % 120, salable_qty: (i % 120) - (i % 3), sources_of_sku: 1, status: 1, observed_at: observed };
  return { external_id: `SKU-${i}@default`, updated_at: null, payload };
});

// The adapter's own envelope schema, built once: the floor a normalizer cannot go below.
const Baseline = InventoryEnvelope;

function timed(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

describe('Magento normalize cost', () => {
  test(`${N} stock records normalize within a small multiple of a bare parse with a schema built once`, () => {
    let sum = 0;
    const normalize = () => {
      for (const r of records) sum += toInventory(r).available;
    };
    const parse = () => {
      for (const r of records) {
        const p = Baseline.parse(r.payload);
        sum += p.quantity - (p.salable_qty ?? 0);
      }
    };
    // Warm both paths (JIT, zod's lazy compilation), then take each side's best of five interleaved rounds.
    normalize();
    parse();
    let best = { normalize: Infinity, parse: Infinity };
    for (let round = 0; round < 5; round++) {
      best = { normalize: Math.min(best.normalize, timed(normalize)), parse: Math.min(best.parse, timed(parse)) };
    }
    const ratio = best.normalize / best.parse;
    // The normalizer parses the same envelope and maps a few fields: about 1x. Rebuilding the schema per
    // record made it ~60x.
    expect(ratio, `normalize ${best.normalize.toFixed(1)} ms vs bare parse ${best.parse.toFixed(1)} ms`).toBeLessThan(4);
    // The records were really read (the sum keeps the loops from being dropped).
    expect(sum).toBeGreaterThan(0);
  });
});

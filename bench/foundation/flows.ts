// What the two flows benchmarks (bench/flows.ts on scripted upstreams, bench/flows-sims.ts on the Magento
// and Amazon simulators) share: the merchant's options, percentiles and polling for an end state.
import { parseArgs } from 'node:util';
import { percentile } from './measure.ts';

export interface FlowsBenchArgs {
  /** Every option as given (or its default), by its flag name. */
  opt: Record<string, string>;
  skus: number;
  scale: number;
  stockChanges: number;
  orders: number;
  /** Wall milliseconds between two marketplace orders at the daily rate, time scaled. */
  orderGapMs: number;
}

/** Parses the merchant's options (plus `extra` ones, flag to default); prints `usage` and exits on --help. */
export function flowsBenchArgs(usage: string, defaultSkus: number, extra: Record<string, string> = {}): FlowsBenchArgs {
  const defaults: Record<string, string> = { skus: String(defaultSkus), 'orders-per-day': '2000', scale: '100', 'stock-changes': '40', orders: '60', 'poll-stock-s': '30', 'poll-orders-s': '60', ...extra };
  const { values } = parseArgs({
    options: { ...Object.fromEntries(Object.entries(defaults).map(([k, d]) => [k, { type: 'string' as const, default: d }])), help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const given = values as Record<string, string | boolean | undefined>;
  const opt = Object.fromEntries(Object.keys(defaults).map((k) => [k, String(given[k])]));
  const scale = Number(opt.scale);
  return { opt, skus: Number(opt.skus), scale, stockChanges: Number(opt['stock-changes']), orders: Number(opt.orders), orderGapMs: 86_400_000 / Number(opt['orders-per-day']) / scale };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The p-th percentile of unsorted values (NaN for none). */
export const pct = (xs: readonly number[], p: number): number => percentile([...xs].sort((a, b) => a - b), p);

export async function waitUntil(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 60_000, everyMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

// Adapters for the sync benchmark (bench/sync.ts), loaded into the worker processes with
// SWITCHYARD_EXTRA_ADAPTERS=bench/sync-adapters.ts.
//
// - `scripted_http`: the scripted upstream's adapter (test/support/scripted-adapter.ts) reading orders only,
//   so each connection runs exactly one pull (orders) and its call budget goes to orders alone.
// - `bench_mem`: a zero-latency, unlimited upstream: the same deterministic orders as the simulator
//   (test/sim/scripted/state.ts), paged in process memory without HTTP or a throttle. What a job costs
//   with it is the engine's own cost (job queue, checkpoints, normalization, storage).
import { z } from 'zod';
import { AppError } from '../src/core/errors.ts';
import type { AdapterFactory, ChannelAdapter, Entity, PullPage, PullRequest } from '../src/core/ports.ts';
import { SimState } from '../test/sim/scripted/state.ts';
import { scriptedHttpAdapter } from '../test/support/scripted-adapter.ts';

export const ordersOnlyScriptedHttp: AdapterFactory = {
  ...(scriptedHttpAdapter as unknown as AdapterFactory),
  manifest: { ...scriptedHttpAdapter.manifest, capabilities: ['orders.read'] },
};

const MemSettings = z.object({ orders: z.number().int().min(0).max(1_000_000), page_size: z.number().int().min(1).max(1000) }).strict();
const MemCredentials = z.object({ api_key: z.string().min(1) }).strict();
type MemSettingsT = z.infer<typeof MemSettings>;

/** Each key's orders, seeded on first use exactly as the simulator seeds `dataByKey`. */
const shops = new Map<string, SimState>();

export function memShop(apiKey: string, orders: number): SimState {
  let s = shops.get(apiKey);
  if (!s) {
    s = new SimState();
    s.seed({ orders });
    shops.set(apiKey, s);
  }
  return s;
}

/** One page of a key's orders: what the simulator's GET /orders answers, without the HTTP. */
export function memPage(apiKey: string, settings: MemSettingsT, request: PullRequest): PullPage {
  const shop = memShop(apiKey, settings.orders);
  const from = request.window.from ? Date.parse(request.window.from) : -Infinity;
  const to = Date.parse(request.window.to);
  let after: { ms: number; key: string } | null = null;
  if (request.cursor) {
    const at = request.cursor.indexOf(':');
    after = { ms: Number(request.cursor.slice(0, at)), key: request.cursor.slice(at + 1) };
  }
  const page = shop.orders.page(from, to, after, settings.page_size);
  const last = page.rows[page.rows.length - 1];
  return {
    records: page.rows.map((r) => ({ external_id: r.key, updated_at: r.data.updated_at, payload: r.data })),
    next: page.more && last ? `${last.ms}:${last.key}` : null,
  };
}

export const benchMemAdapter: AdapterFactory<MemSettingsT, z.infer<typeof MemCredentials>> = {
  manifest: { channel: 'bench_mem', displayName: 'Zero-latency in-memory upstream (benchmark)', capabilities: ['orders.read'] },
  sync: { ...scriptedHttpAdapter.sync, detectsDeletions: {} },
  settingsSchema: MemSettings,
  credentialsSchema: MemCredentials,
  create(ctx): ChannelAdapter {
    // The scripted adapter's normalization, so records cost the same to map as over HTTP.
    const scripted = scriptedHttpAdapter.create({ ...ctx, settings: scriptedHttpAdapter.settingsSchema.parse({ base_url: 'http://127.0.0.1' }), throttle: undefined });
    return {
      async testConnection() {},
      async pull(entity: Entity, request: PullRequest): Promise<PullPage> {
        if (entity !== 'orders') throw new AppError('validation', `bench_mem cannot pull ${entity}`, { retriable: false });
        return memPage(ctx.credentials.api_key, ctx.settings, request);
      },
      normalize: scripted.normalize!.bind(scripted),
    };
  },
};

const adapters: AdapterFactory[] = [ordersOnlyScriptedHttp, benchMemAdapter as unknown as AdapterFactory];
export default adapters;

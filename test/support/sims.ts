// Both upstream simulators (Magento and Amazon), a gateway with both adapters, and a connection to each:
// the start of every flows scenario that runs end to end on the simulators.
import { amazonAdapter } from '../../src/adapters/amazon/index.ts';
import { clearTokenCache } from '../../src/adapters/amazon/lwa.ts';
import { magentoAdapter } from '../../src/adapters/magento/index.ts';
import { startAmazonSim, type AmazonSim, type AmazonSimOptions } from '../sim/amazon/index.ts';
import { startMagentoSim, type MagentoSim, type MagentoSimOptions } from '../sim/magento/index.ts';
import { startGateway, type TestGateway } from './app.ts';
import { post } from './flows-harness.ts';

export interface SimsWorld {
  mg: MagentoSim;
  az: AmazonSim;
  gw: TestGateway;
  magento: { id: string };
  amazon: { id: string };
  /** Stops the gateway, then both simulators. */
  close(): Promise<void>;
}

export interface SimsWorldOptions {
  magento?: MagentoSimOptions;
  amazon?: AmazonSimOptions;
  magentoSettings?: Record<string, unknown>;
  amazonSettings?: Record<string, unknown>;
  /** Edits the simulators' state before the connections exist, so the first pulls already see it. */
  prepare?: (mg: MagentoSim, az: AmazonSim) => void;
}

export async function startSimsWorld(o: SimsWorldOptions = {}): Promise<SimsWorld> {
  clearTokenCache();
  const mg = await startMagentoSim(o.magento ?? {});
  const az = await startAmazonSim({ rateLimits: false, ...o.amazon });
  const gw = await startGateway({ adapters: [magentoAdapter, amazonAdapter] });
  // Killed worker processes and stopped simulators end connections under the pool; the tests assert state, not these.
  gw.tdb.pool.on('error', () => undefined);
  gw.tdb.pool.on('connect', (client) => void client.on('error', () => undefined));
  const close = async () => {
    await gw.close();
    await az.stop();
    await mg.stop();
  };
  try {
    o.prepare?.(mg, az);
    const magento = await post(gw, '/v1/connections', { channel: 'magento', name: 'Magento (simulator)', settings: { base_url: mg.url, store_code: 'default', ...o.magentoSettings }, credentials: { type: 'oauth1', ...mg.credentials.oauth1 } });
    const amazon = await post(gw, '/v1/connections', {
      channel: 'amazon',
      name: 'Amazon (simulator)',
      settings: { region: 'na', seller_id: az.sellerId, marketplace_ids: az.marketplaceIds, endpoint: az.url, lwa_endpoint: az.lwaUrl, ...o.amazonSettings },
      credentials: az.credentials,
    });
    return { mg, az, gw, magento, amazon, close };
  } catch (err) {
    await close();
    throw err;
  }
}

// The Magento 2 channel adapter: paged incremental reads with searchCriteria, configurable products
// read with their children, MSI or legacy stock by probe, and idempotent writes. See BEHAVIOR.md.
// Its parts work over one session (session.ts: the client and what is learned about the store once):
// pulls.ts (list reads), enrichment.ts (rows to records), writes.ts, reads.ts (single reads, scopes,
// the connection test) and order-payload.ts (the createOrder body).
import type { ChannelAdapter, Entity, NormalizedByEntity, RawRecord } from '../../core/ports.ts';
import type { MagentoClient } from './client.ts';
import { createEnrichment } from './enrichment.ts';
import { toCategory, toCustomer, toInventory, toOrder, toProduct, toShipment } from './map.ts';
import { createPulls } from './pulls.ts';
import { createReads } from './reads.ts';
import { MagentoSession, type Ctx } from './session.ts';
import { createWrites } from './writes.ts';

export { orderEntity } from './order-payload.ts';
export { idempotencyMarker } from './session.ts';

const NORMALIZE: { [K in Entity]: (r: RawRecord) => NormalizedByEntity[K] } = {
  products: toProduct,
  inventory: toInventory,
  orders: toOrder,
  shipments: toShipment,
  customers: toCustomer,
  categories: toCategory,
};

export function createMagentoAdapter(ctx: Ctx): ChannelAdapter & { client: MagentoClient } {
  const session = new MagentoSession(ctx);
  const enrichment = createEnrichment(session);
  const pulls = createPulls(session, enrichment);
  const reads = createReads(session, enrichment);
  return {
    client: session.client,
    testConnection: () => reads.testConnection(),
    pull: (entity, request) => pulls.pull(entity, request),
    normalize<E extends Entity>(entity: E, record: RawRecord): NormalizedByEntity[E] {
      return NORMALIZE[entity](record) as NormalizedByEntity[E];
    },
    fetch: (entity, externalId) => reads.fetchOne(entity, externalId),
    listScopes: () => reads.listScopes(),
    writes: createWrites(session),
  };
}

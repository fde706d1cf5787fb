// GraphQL mutations for the writes that feed the flows: the same services as PUT /v1/inventory/{sku},
// POST /v1/orders/{id}/shipments and PATCH /v1/products/{id}[/variants/{variantId}], each a durable
// operation with an idempotency key; the answer is the operation as it stands after a short wait.
import { changeProduct, setInventory, shipOrder, type WriteOutcome } from '../core/flows/writes.ts';
import type { SyncEngine } from '../core/sync/engine.ts';
import type { OperationRow } from '../store/sync.ts';
import type { GraphqlContext } from './context.ts';

export const mutationTypeDefs = /* GraphQL */ `
"An upstream write: pending until it has run, then succeeded or failed."
type Operation {
  id: ID!
  connection_id: ID!
  kind: String!
  idempotency_key: String!
  state: String!
  attempts: Int!
  result: JSON
  last_error: String
  created_at: DateTime!
}

input MoneyInput {
  amount: String!
  currency: String!
}

input ShipmentLineInput {
  "An order line id (oln_…), or the line's SKU."
  line_id: ID
  sku: String
  quantity: Int!
}

type Mutation {
  "Set the available stock of a SKU at a location of a connection; inventory links carry it to their targets."
  setInventory(sku: String!, connection_id: ID!, available: Int!, location_id: String, idempotency_key: String): Operation!
  "Ship some or all of an order in its store; fulfillment links confirm it on the marketplace."
  createShipment(order_id: ID!, lines: [ShipmentLineInput!]!, carrier: String, service: String, tracking_number: String, tracking_url: String, idempotency_key: String): Operation!
  "Change a product (or one variant): title, description, status, attributes, or a price (a write of its own)."
  updateProduct(id: ID!, variant_id: ID, title: String, description: String, status: String, attributes: JSON, price: MoneyInput, idempotency_key: String): Operation!
}
`;

const SHORT_WAIT_MS = 3_000;

function toGraphql(op: OperationRow) {
  return { ...op, created_at: op.created_at.toISOString() };
}

type Args = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function mutationResolvers(engine: SyncEngine) {
  const settle = async (tenantId: string, w: WriteOutcome) => toGraphql(await engine.waitForOperation(tenantId, w.op.id, SHORT_WAIT_MS));
  return {
    Mutation: {
      setInventory: async (_: unknown, a: Args, ctx: GraphqlContext) =>
        settle(ctx.tenantId, await setInventory(engine, ctx.tenantId, String(a.sku), { connection_id: String(a.connection_id), available: Number(a.available), location_id: str(a.location_id) ?? null }, str(a.idempotency_key))),
      createShipment: async (_: unknown, a: Args, ctx: GraphqlContext) =>
        settle(
          ctx.tenantId,
          await shipOrder(
            engine,
            ctx.tenantId,
            String(a.order_id),
            { lines: (a.lines as { line_id?: string; sku?: string; quantity: number }[]) ?? [], carrier: str(a.carrier), service: str(a.service), tracking_number: str(a.tracking_number), tracking_url: str(a.tracking_url) },
            str(a.idempotency_key),
          ),
        ),
      updateProduct: async (_: unknown, a: Args, ctx: GraphqlContext) =>
        settle(
          ctx.tenantId,
          await changeProduct(
            engine,
            ctx.tenantId,
            String(a.id),
            str(a.variant_id) ?? null,
            {
              title: str(a.title),
              description: str(a.description),
              status: a.status === 'active' || a.status === 'inactive' ? a.status : undefined,
              attributes: a.attributes && typeof a.attributes === 'object' ? (a.attributes as Record<string, unknown>) : undefined,
              price: a.price as { amount: string; currency: string } | undefined,
            },
            str(a.idempotency_key),
          ),
        ),
    },
  };
}

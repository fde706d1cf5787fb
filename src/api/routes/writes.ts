// The write API that feeds the flows: PUT /v1/inventory/{sku}, POST /v1/orders/{id}/shipments,
// PATCH /v1/products/{id} and PATCH /v1/products/{id}/variants/{variantId}. Each is a durable
// operation with Idempotency-Key, answered like POST /v1/connections/{id}/operations.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { changeProduct, setInventory, shipOrder, type WriteOutcome } from '../../core/flows/writes.ts';
import { Money } from '../../core/model/index.ts';
import type { AppEnv } from '../context.ts';
import type { ApiDeps } from '../deps.ts';
import { bodyProblems, checkId, idParam, problems } from '../schemas.ts';
import { Operation, SYNC_WAIT_MS, toOperation } from './sync.ts';

const jsonBody = <T extends z.ZodType>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });
const idem = z.object({ 'idempotency-key': z.string().min(1).max(255).optional() });
const answers = {
  200: { description: 'The operation finished (succeeded or failed)', content: { 'application/json': { schema: Operation } } },
  202: { description: 'Accepted; poll the Location', content: { 'application/json': { schema: Operation } } },
  ...problems,
  ...bodyProblems,
};

const StockBody = z.object({ connection_id: z.string().min(1).max(64), available: z.number().int().min(0).max(10_000_000), location_id: z.string().max(255).nullish() }).strict().openapi('StockWrite');
const ShipmentBody = z
  .object({
    lines: z.array(z.object({ line_id: z.string().max(64).nullish(), sku: z.string().max(255).nullish(), quantity: z.number().int().min(1) }).strict()).min(1).max(1000),
    carrier: z.string().max(255).nullish(),
    service: z.string().max(255).nullish(),
    tracking_number: z.string().max(255).nullish(),
    tracking_url: z.string().max(2048).nullish(),
    shipped_at: z.iso.datetime({ offset: true }).nullish(),
  })
  .strict()
  .openapi('ShipmentWrite');
const ProductBody = z
  .object({
    title: z.string().min(1).max(1024).optional(),
    description: z.string().max(200_000).nullish(),
    status: z.enum(['active', 'inactive']).optional(),
    attributes: z.record(z.string().max(255), z.unknown()).optional(),
    price: Money.optional(),
    sale_price: Money.nullish(),
  })
  .strict()
  .openapi('ProductWrite');

export function writeRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps): void {
  const { engine } = deps;
  const answer = async (c: Parameters<Parameters<typeof app.openapi>[1]>[0], w: WriteOutcome) => {
    const tenantId = c.get('tenantId');
    c.get('log').info({ connection_id: w.op.connection_id, operation_id: w.op.id, kind: w.op.kind, replayed_request: !w.created }, 'write submitted');
    const finished = await engine.waitForOperation(tenantId, w.op.id, SYNC_WAIT_MS);
    c.header('location', `/v1/operations/${w.op.id}`);
    return { op: toOperation(finished), status: finished.state === 'succeeded' || finished.state === 'failed' ? (200 as const) : (202 as const) };
  };

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/inventory/{sku}',
      tags: ['Writes'],
      summary: 'Set the available stock of a SKU at a location of a connection; inventory links carry it to their targets',
      request: { params: z.object({ sku: z.string().min(1).max(255).openapi({ param: { name: 'sku', in: 'path' }, example: 'SKU-1' }) }), headers: idem, body: jsonBody(StockBody) },
      responses: answers,
    }),
    async (c) => {
      const r = await answer(c, await setInventory(engine, c.get('tenantId'), c.req.valid('param').sku, c.req.valid('json'), c.req.valid('header')['idempotency-key']));
      return c.json(r.op, r.status);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/orders/{id}/shipments',
      tags: ['Writes'],
      summary: 'Ship some or all of an order in its store; fulfillment links confirm it on the marketplace',
      request: { params: idParam('ord_01JD3X8Y6Z7QK2M4N5P6R7S8T9'), headers: idem, body: jsonBody(ShipmentBody) },
      responses: answers,
    }),
    async (c) => {
      const id = checkId('order', c.req.valid('param').id, 'Order');
      const r = await answer(c, await shipOrder(engine, c.get('tenantId'), id, c.req.valid('json'), c.req.valid('header')['idempotency-key']));
      return c.json(r.op, r.status);
    },
  );
  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/products/{id}',
      tags: ['Writes'],
      summary: 'Change the fields of a product its connection owns (title, description, status, attributes), or its price',
      request: { params: idParam('prd_01JD3X8Y6Z7QK2M4N5P6R7S8T9'), headers: idem, body: jsonBody(ProductBody) },
      responses: answers,
    }),
    async (c) => {
      const id = checkId('product', c.req.valid('param').id, 'Product');
      const r = await answer(c, await changeProduct(engine, c.get('tenantId'), id, null, c.req.valid('json'), c.req.valid('header')['idempotency-key']));
      return c.json(r.op, r.status);
    },
  );
  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/products/{id}/variants/{variantId}',
      tags: ['Writes'],
      summary: 'Change one variant: its fields or its price',
      request: {
        params: z.object({
          id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'prd_01JD3X8Y6Z7QK2M4N5P6R7S8T9' }),
          variantId: z.string().max(64).openapi({ param: { name: 'variantId', in: 'path' }, example: 'var_01JD3X8Y6Z7QK2M4N5P6R7S8T9' }),
        }),
        headers: idem,
        body: jsonBody(ProductBody),
      },
      responses: answers,
    }),
    async (c) => {
      const p = c.req.valid('param');
      const id = checkId('product', p.id, 'Product');
      const variantId = checkId('variant', p.variantId, 'Variant');
      const r = await answer(c, await changeProduct(engine, c.get('tenantId'), id, variantId, c.req.valid('json'), c.req.valid('header')['idempotency-key']));
      return c.json(r.op, r.status);
    },
  );
}

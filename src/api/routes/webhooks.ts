// /v1/webhooks: endpoints that receive signed event deliveries, and each endpoint's delivery log.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { WEBHOOK_DELIVERY_STATES, WebhookCreate, WebhookDelivery, WebhookEndpoint, WebhookEndpointWithSecret, WebhookUpdate } from '../../core/model/index.ts';
import { createWebhook, deleteWebhook, getWebhook, listWebhookDeliveries, listWebhooks, redeliver, updateWebhook } from '../../core/services/webhooks.ts';
import type { AppEnv } from '../context.ts';
import type { ApiDeps } from '../deps.ts';
import { bodyProblems, checkId, idParam, listBase, NoQuery, pageSchema, paging, problems } from '../schemas.ts';

const jsonBody = <T extends z.ZodType>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });
const webhookId = idParam('whk_01JD3X8Y6Z7QK2M4N5P6R7S8T9');
const { fields: _fields, ...listQuery } = listBase;

const listRoute = createRoute({
  method: 'get',
  path: '/v1/webhooks',
  tags: ['Webhooks'],
  summary: 'List webhook endpoints',
  request: { query: z.object({ ...listQuery, enabled: z.enum(['true', 'false']).optional() }).strict() },
  responses: { 200: { description: 'A page of endpoints', content: { 'application/json': { schema: pageSchema(WebhookEndpoint, 'WebhookEndpointPage') } } }, ...problems },
});

const createRouteDef = createRoute({
  method: 'post',
  path: '/v1/webhooks',
  tags: ['Webhooks'],
  summary: 'Add an endpoint; the answer shows its signing secret, once',
  description:
    'Deliveries are POSTed with the Standard Webhooks headers `webhook-id`, `webhook-timestamp` and `webhook-signature` ' +
    '(`v1,` + base64 HMAC-SHA256 of `id.timestamp.body`, keyed with the base64-decoded part of the secret after `whsec_`). ' +
    'Retried with exponential backoff for 3 days; events of one entity arrive in order. The URL must be public https.',
  request: { query: NoQuery, body: jsonBody(WebhookCreate) },
  responses: { 201: { description: 'The new endpoint, with its secret', content: { 'application/json': { schema: WebhookEndpointWithSecret } } }, ...problems, ...bodyProblems },
});

const getRoute = createRoute({
  method: 'get',
  path: '/v1/webhooks/{id}',
  tags: ['Webhooks'],
  summary: 'One endpoint (never its secret)',
  request: { params: webhookId, query: NoQuery },
  responses: { 200: { description: 'The endpoint', content: { 'application/json': { schema: WebhookEndpoint } } }, ...problems },
});

const patchRoute = createRoute({
  method: 'patch',
  path: '/v1/webhooks/{id}',
  tags: ['Webhooks'],
  summary: 'Change an endpoint; enabled=true turns a disabled one back on and sends what waited',
  request: { params: webhookId, query: NoQuery, body: jsonBody(WebhookUpdate) },
  responses: { 200: { description: 'The endpoint', content: { 'application/json': { schema: WebhookEndpoint } } }, ...problems, ...bodyProblems },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/v1/webhooks/{id}',
  tags: ['Webhooks'],
  summary: 'Delete an endpoint and its delivery log',
  request: { params: webhookId, query: NoQuery },
  responses: { 204: { description: 'Deleted' }, ...problems },
});

const deliveriesRoute = createRoute({
  method: 'get',
  path: '/v1/webhooks/{id}/deliveries',
  tags: ['Webhooks'],
  summary: "An endpoint's delivery log: state, attempts, last answer",
  request: {
    params: webhookId,
    query: z
      .object({
        ...listQuery,
        state: z.enum(WEBHOOK_DELIVERY_STATES).optional(),
        event_id: z.string().max(64).optional(),
        sort: z.enum(['created_at', '-created_at', 'updated_at', '-updated_at']).optional(),
      })
      .strict(),
  },
  responses: { 200: { description: 'A page of deliveries', content: { 'application/json': { schema: pageSchema(WebhookDelivery, 'WebhookDeliveryPage') } } }, ...problems },
});

const redeliverRoute = createRoute({
  method: 'post',
  path: '/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver',
  tags: ['Webhooks'],
  summary: 'Send a delivery again, now, with a fresh retry window',
  request: {
    params: z.object({
      id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'whk_01JD3X8Y6Z7QK2M4N5P6R7S8T9' }),
      deliveryId: z.string().max(64).openapi({ param: { name: 'deliveryId', in: 'path' }, example: 'whd_01JD3X8Y6Z7QK2M4N5P6R7S8T9' }),
    }),
    query: NoQuery,
  },
  responses: { 202: { description: 'Queued', content: { 'application/json': { schema: WebhookDelivery } } }, ...problems },
});

export function webhookRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps): void {
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const { cursor } = paging({ cursor: q.cursor }, { column: 'created_at', desc: false });
    const page = await listWebhooks(deps, c.get('tenantId'), cursor, q.limit, { enabled: q.enabled === undefined ? undefined : q.enabled === 'true' });
    return c.json(page, 200);
  });

  app.openapi(createRouteDef, async (c) => {
    const endpoint = await createWebhook(deps, c.get('tenantId'), c.req.valid('json'));
    c.get('log').info({ webhook_id: endpoint.id }, 'webhook endpoint created');
    c.header('location', `/v1/webhooks/${endpoint.id}`);
    return c.json(endpoint, 201);
  });

  app.openapi(getRoute, async (c) => {
    const id = checkId('webhook', c.req.valid('param').id, 'Webhook endpoint');
    return c.json(await getWebhook(deps, c.get('tenantId'), id), 200);
  });

  app.openapi(patchRoute, async (c) => {
    const id = checkId('webhook', c.req.valid('param').id, 'Webhook endpoint');
    const endpoint = await updateWebhook(deps, c.get('tenantId'), id, c.req.valid('json'));
    c.get('log').info({ webhook_id: id, enabled: endpoint.enabled }, 'webhook endpoint updated');
    return c.json(endpoint, 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const id = checkId('webhook', c.req.valid('param').id, 'Webhook endpoint');
    await deleteWebhook(deps, c.get('tenantId'), id);
    c.get('log').info({ webhook_id: id }, 'webhook endpoint deleted');
    return c.body(null, 204);
  });

  app.openapi(deliveriesRoute, async (c) => {
    const id = checkId('webhook', c.req.valid('param').id, 'Webhook endpoint');
    const q = c.req.valid('query');
    const { sort, cursor } = paging(q);
    return c.json(await listWebhookDeliveries(deps, c.get('tenantId'), id, { state: q.state, event_id: q.event_id }, sort, cursor, q.limit), 200);
  });

  app.openapi(redeliverRoute, async (c) => {
    const p = c.req.valid('param');
    const id = checkId('webhook', p.id, 'Webhook endpoint');
    const deliveryId = checkId('webhookDelivery', p.deliveryId, 'Webhook delivery');
    return c.json(await redeliver(deps, c.get('tenantId'), id, deliveryId), 202);
  });
}

// Upstream push notifications for a connection: a deployment's forwarder (SQS, EventBridge) posts each
// raw notification here; it is deduplicated and the records it names are fetched again by the engine.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { ENTITIES } from '../../core/ports.ts';
import type { SyncEngine } from '../../core/sync/engine.ts';
import type { AppEnv } from '../context.ts';
import { bodyProblems, checkId, idParam, problems } from '../schemas.ts';

const NotificationResult = z
  .object({
    status: z.enum(['queued', 'duplicate', 'ignored']).openapi({ description: 'queued: new, fetches queued; duplicate: seen before, nothing done; ignored: not a notification this connection acts on.' }),
    dedupe_key: z.string().nullable(),
    fetch: z.array(z.object({ entity: z.enum(ENTITIES), external_id: z.string() })),
  })
  .openapi('NotificationResult');

const ingestRoute = createRoute({
  method: 'post',
  path: '/v1/connections/{id}/notifications',
  tags: ['Sync'],
  summary: 'Take one upstream notification (e.g. Amazon ORDER_CHANGE, as SQS or EventBridge delivers it); each is acted on once',
  request: {
    params: idParam('con_01JD3X8Y6Z7QK2M4N5P6R7S8T9'),
    body: { required: true, content: { 'application/json': { schema: z.record(z.string(), z.unknown()).openapi('UpstreamNotification') } } },
  },
  responses: {
    202: { description: 'Taken (queued, or a duplicate, or ignored)', content: { 'application/json': { schema: NotificationResult } } },
    ...problems,
    ...bodyProblems,
  },
});

export function notificationRoutes(app: OpenAPIHono<AppEnv>, engine: SyncEngine): void {
  app.openapi(ingestRoute, async (c) => {
    const id = checkId('connection', c.req.valid('param').id, 'Connection');
    const result = await engine.ingestNotification(c.get('tenantId'), id, c.req.valid('json'));
    c.get('log').info({ connection_id: id, status: result.status, fetch: result.fetch.length }, 'notification received');
    return c.json(result, 202);
  });
}

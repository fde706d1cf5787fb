// /v1/events: the event log, oldest first, for clients that poll instead of (or besides) taking webhooks.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { Event, parseEventTypes } from '../../core/model/index.ts';
import { eventTypes } from '../../core/services/webhooks.ts';
import { decodeEventCursor, getEvent, listEvents, toEvent } from '../../store/events.ts';
import type { AppEnv } from '../context.ts';
import type { ApiDeps } from '../deps.ts';
import { checkId, idParam, NoQuery, problems } from '../schemas.ts';

const EventPage = z
  .object({
    data: z.array(Event),
    next_cursor: z.string().nullable().openapi({ description: 'The next page, when this one was full; null at the end of the log for now.' }),
    resume_cursor: z.string().nullable().openapi({ description: 'Where to poll from next time: after the last event served (or the cursor given).' }),
  })
  .openapi('EventPage');

const listRoute = createRoute({
  method: 'get',
  path: '/v1/events',
  tags: ['Events'],
  summary: 'The event log, oldest first',
  description:
    'Each event is written in the transaction of the change it describes. Poll with `cursor` set to the last `resume_cursor`: ' +
    'an event that commits late is never skipped (events appear once every older transaction has finished).',
  request: {
    query: z
      .object({
        limit: z.coerce.number().int().min(1).max(250).default(50),
        cursor: z.string().max(512).optional(),
        type: z.string().max(1024).optional().openapi({ description: 'Comma-separated event types or patterns (`order.*`).', example: 'order.*,shipment.created' }),
        connection_id: z.string().max(64).optional(),
        entity_id: z.string().max(64).optional(),
        since: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Only events created at or after this time.' }),
      })
      .strict(),
  },
  responses: { 200: { description: 'A page of events', content: { 'application/json': { schema: EventPage } } }, ...problems },
});

const getRoute = createRoute({
  method: 'get',
  path: '/v1/events/{id}',
  tags: ['Events'],
  summary: 'One event',
  request: { params: idParam('evt_01JD3X8Y6Z7QK2M4N5P6R7S8T9'), query: NoQuery },
  responses: { 200: { description: 'The event', content: { 'application/json': { schema: Event } } }, ...problems },
});

const typesRoute = createRoute({
  method: 'get',
  path: '/v1/event-types',
  tags: ['Events'],
  summary: 'The event types, for webhook subscriptions and filters',
  request: { query: NoQuery },
  responses: {
    200: { description: 'Event types', content: { 'application/json': { schema: z.object({ data: z.array(z.object({ type: z.string(), description: z.string() })) }).openapi('EventTypeList') } } },
    400: problems[400],
    401: problems[401],
  },
});

export function eventRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps): void {
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const page = await listEvents(deps.db, c.get('tenantId'), { types: parseEventTypes(q.type), connection_id: q.connection_id, entity_id: q.entity_id, since: q.since }, q.cursor ? decodeEventCursor(q.cursor) : null, q.limit);
    return c.json({ data: page.data.map(toEvent), next_cursor: page.next_cursor, resume_cursor: page.resume_cursor }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const id = checkId('event', c.req.valid('param').id, 'Event');
    return c.json(toEvent(await getEvent(deps.db, c.get('tenantId'), id)), 200);
  });

  app.openapi(typesRoute, (c) => c.json({ data: eventTypes() }, 200));
}

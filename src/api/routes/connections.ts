// /v1/connections and /v1/channels: a merchant's accounts on each channel, and the channels available.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { changeConnection, createConnection } from '../../core/services/connections.ts';
import { Connection, ConnectionCreate, ConnectionStatus, ConnectionUpdate } from '../../core/model/index.ts';
import { deleteConnection, getConnection, listConnections } from '../../store/connections.ts';
import type { AppEnv } from '../context.ts';
import type { ApiDeps } from '../deps.ts';
import { bodyProblems, checkId, idParam, listBase, NoQuery, pageSchema, paging, parseFields, pick, problems, keysOf, upstreamProblems } from '../schemas.ts';

const CONNECTION_FIELDS = keysOf(Connection);
const jsonBody = <T extends z.ZodType>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });

const listRoute = createRoute({
  method: 'get',
  path: '/v1/connections',
  tags: ['Connections'],
  summary: 'List connections',
  request: {
    query: z
      .object({
        ...listBase,
        channel: z.string().max(32).optional(),
        status: ConnectionStatus.optional(),
        sort: z.enum(['created_at', '-created_at', 'updated_at', '-updated_at']).optional(),
      })
      .strict(),
  },
  responses: { 200: { description: 'A page of connections', content: { 'application/json': { schema: pageSchema(Connection, 'ConnectionPage') } } }, ...problems },
});

const getRoute = createRoute({
  method: 'get',
  path: '/v1/connections/{id}',
  tags: ['Connections'],
  summary: 'One connection (never its credentials)',
  request: { params: idParam('con_01JD3X8Y6Z7QK2M4N5P6R7S8T9'), query: NoQuery },
  responses: { 200: { description: 'The connection', content: { 'application/json': { schema: Connection } } }, ...problems },
});

const createRouteDef = createRoute({
  method: 'post',
  path: '/v1/connections',
  tags: ['Connections'],
  summary: 'Connect an account; the upstream is tested before the connection is stored',
  request: { query: NoQuery, body: jsonBody(ConnectionCreate) },
  responses: {
    201: { description: 'The new connection', content: { 'application/json': { schema: Connection } } },
    ...problems,
    ...bodyProblems,
    ...upstreamProblems,
  },
});

const patchRoute = createRoute({
  method: 'patch',
  path: '/v1/connections/{id}',
  tags: ['Connections'],
  summary: 'Rename, pause or resume a connection, or replace its settings or credentials',
  request: { params: idParam('con_01JD3X8Y6Z7QK2M4N5P6R7S8T9'), query: NoQuery, body: jsonBody(ConnectionUpdate) },
  responses: { 200: { description: 'The updated connection', content: { 'application/json': { schema: Connection } } }, ...problems, ...bodyProblems, ...upstreamProblems },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/v1/connections/{id}',
  tags: ['Connections'],
  summary: 'Delete a connection and every record synced through it',
  request: { params: idParam('con_01JD3X8Y6Z7QK2M4N5P6R7S8T9'), query: NoQuery },
  responses: { 204: { description: 'Deleted' }, ...problems },
});

const Channel = z
  .object({ channel: z.string(), display_name: z.string(), capabilities: z.array(z.string()) })
  .openapi('ChannelInfo');

const channelsRoute = createRoute({
  method: 'get',
  path: '/v1/channels',
  tags: ['Connections'],
  summary: 'The channels this deployment has adapters for, with their capabilities',
  request: { query: NoQuery },
  responses: { 200: { description: 'Channels', content: { 'application/json': { schema: z.object({ data: z.array(Channel) }) } } }, 400: problems[400], 401: problems[401] },
});

export function connectionRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps): void {
  const { db } = deps;
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const fields = parseFields(q.fields, CONNECTION_FIELDS);
    const { sort, cursor } = paging(q);
    const page = await listConnections(db, c.get('tenantId'), q, sort, cursor, q.limit);
    return c.json({ data: page.data.map((x) => pick(x, fields)) as Connection[], next_cursor: page.next_cursor }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const id = checkId('connection', c.req.valid('param').id, 'Connection');
    return c.json(await getConnection(db, c.get('tenantId'), id), 200);
  });

  app.openapi(createRouteDef, async (c) => {
    const connection = await createConnection(deps, c.get('tenantId'), c.req.valid('json'));
    await deps.engine.onConnectionActivated(c.get('tenantId'), connection.id);
    c.get('log').info({ connection_id: connection.id, channel: connection.channel }, 'connection created');
    c.header('location', `/v1/connections/${connection.id}`);
    return c.json(connection, 201);
  });

  app.openapi(patchRoute, async (c) => {
    const id = checkId('connection', c.req.valid('param').id, 'Connection');
    const before = await getConnection(db, c.get('tenantId'), id);
    const connection = await changeConnection(deps, c.get('tenantId'), id, c.req.valid('json'));
    // Back to active (new credentials, or resumed): paused writes and pulls start again.
    if (connection.status === 'active' && before.status !== 'active') await deps.engine.onConnectionActivated(c.get('tenantId'), id);
    c.get('log').info({ connection_id: id, status: connection.status }, 'connection updated');
    return c.json(connection, 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const id = checkId('connection', c.req.valid('param').id, 'Connection');
    await deleteConnection(db, c.get('tenantId'), id);
    c.get('log').info({ connection_id: id }, 'connection deleted');
    return c.body(null, 204);
  });

  app.openapi(channelsRoute, (c) =>
    c.json(
      {
        data: deps.registry.channels().map((ch) => {
          const m = deps.registry.get(ch)!.manifest;
          return { channel: m.channel, display_name: m.displayName, capabilities: [...m.capabilities] };
        }),
      },
      200,
    ),
  );
}

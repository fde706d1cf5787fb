// The sync engine's REST surface: on-demand pulls, per-connection status, outbound operations (with
// Idempotency-Key) and dead letters.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { SyncEngine } from '../../core/sync/engine.ts';
import { OperationKindSchema } from '../../core/sync/operations.ts';
import { ENTITIES } from '../../core/ports.ts';
import { ulid } from '../../core/ids.ts';
import { getOperation, listDeadLetters, listOperations, type DeadLetterRow, type OperationRow } from '../../store/sync.ts';
import { Connection } from '../../core/model/index.ts';
import type { AppEnv } from '../context.ts';
import { bodyProblems, checkId, idParam, listBase, pageSchema, paging, problems } from '../schemas.ts';

const Entity = z.enum(ENTITIES);

export const Operation = z
  .object({
    id: z.string(),
    connection_id: z.string(),
    kind: OperationKindSchema,
    idempotency_key: z.string(),
    state: z.enum(['pending', 'running', 'succeeded', 'failed', 'paused']),
    attempts: z.number().int(),
    payload: z.record(z.string(), z.unknown()),
    result: z.record(z.string(), z.unknown()).nullable(),
    last_error: z.string().nullable(),
    last_error_kind: z.string().nullable(),
    next_attempt_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    completed_at: z.string().nullable(),
  })
  .openapi('Operation');
type OperationT = z.infer<typeof Operation>;

export function toOperation(r: OperationRow): OperationT {
  return {
    id: r.id,
    connection_id: r.connection_id,
    kind: r.kind as OperationT['kind'],
    idempotency_key: r.idempotency_key,
    state: r.state as OperationT['state'],
    attempts: r.attempts,
    payload: r.payload,
    result: r.result,
    last_error: r.last_error,
    last_error_kind: r.last_error_kind,
    next_attempt_at: r.next_attempt_at?.toISOString() ?? null,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
    completed_at: r.completed_at?.toISOString() ?? null,
  };
}

const DeadLetter = z
  .object({
    id: z.string(),
    connection_id: z.string(),
    source: z.enum(['pull', 'operation']),
    entity: z.string().nullable(),
    external_id: z.string().nullable(),
    operation_id: z.string().nullable(),
    error_kind: z.string(),
    reason: z.string(),
    payload: z.unknown(),
    state: z.enum(['open', 'replayed', 'resolved']),
    replay_count: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('DeadLetter');
type DeadLetterT = z.infer<typeof DeadLetter>;

function toDeadLetter(r: DeadLetterRow): DeadLetterT {
  return {
    id: r.id,
    connection_id: r.connection_id,
    source: r.source as DeadLetterT['source'],
    entity: r.entity,
    external_id: r.external_id,
    operation_id: r.operation_id,
    error_kind: r.error_kind,
    reason: r.reason,
    payload: r.payload,
    state: r.state as DeadLetterT['state'],
    replay_count: r.replay_count,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

const connectionId = idParam('con_01JD3X8Y6Z7QK2M4N5P6R7S8T9');

const syncRoute = createRoute({
  method: 'post',
  path: '/v1/connections/{id}/sync',
  tags: ['Sync'],
  summary: 'Pull now: every readable entity, or the ones named; full=true re-reads everything and detects deletions',
  request: {
    params: connectionId,
    query: z.object({ full: z.enum(['true', 'false']).optional() }).strict(),
    body: { required: false, content: { 'application/json': { schema: z.object({ entities: z.array(Entity).min(1).optional(), full: z.boolean().optional() }).strict().openapi('SyncRequest') } } },
  },
  responses: {
    202: { description: 'Pulls queued', content: { 'application/json': { schema: z.object({ queued: z.array(z.object({ entity: Entity, full: z.boolean() })) }) } } },
    ...problems,
    ...bodyProblems,
  },
});

const EntityStatus = z
  .object({
    entity: Entity,
    interval_sec: z.number(),
    last_success_at: z.string().nullable(),
    checkpoint: z.string().nullable().openapi({ description: 'Upstream updated-at up to which everything has been pulled.' }),
    lag_seconds: z.number().nullable(),
    run_in_progress: z.boolean(),
    records_pulled: z.number(),
    pages_pulled: z.number(),
    failures: z.number(),
    last_error: z.string().nullable(),
    last_error_at: z.string().nullable(),
  })
  .openapi('EntitySyncStatus');

const statusRoute = createRoute({
  method: 'get',
  path: '/v1/connections/{id}/status',
  tags: ['Sync'],
  summary: 'What is synced, what is lagging and what failed, per entity',
  request: { params: connectionId },
  responses: {
    200: {
      description: 'Sync status',
      content: {
        'application/json': {
          schema: z
            .object({ connection: Connection, entities: z.array(EntityStatus), pending_operations: z.number(), paused_operations: z.number(), open_dead_letters: z.number() })
            .openapi('ConnectionStatusReport'),
        },
      },
    },
    ...problems,
  },
});

const createOperationRoute = createRoute({
  method: 'post',
  path: '/v1/connections/{id}/operations',
  tags: ['Operations'],
  summary: 'Write to the upstream: set stock, update a product or price, create or cancel an order, create a shipment',
  description:
    'Runs as a durable operation. Send `Idempotency-Key` to make retries safe: the same key and body return the first result, another body gets 409. ' +
    'Answers 200 with the finished operation when the upstream answers within a few seconds, else 202 with its URL.',
  request: {
    params: connectionId,
    headers: z.object({ 'idempotency-key': z.string().min(1).max(255).optional() }),
    body: { required: true, content: { 'application/json': { schema: z.object({ kind: OperationKindSchema, payload: z.record(z.string(), z.unknown()) }).strict().openapi('OperationRequest') } } },
  },
  responses: {
    200: { description: 'The operation finished (succeeded or failed)', content: { 'application/json': { schema: Operation } } },
    202: { description: 'Accepted; poll the Location', content: { 'application/json': { schema: Operation } } },
    ...problems,
    ...bodyProblems,
  },
});

const listOperationsRoute = createRoute({
  method: 'get',
  path: '/v1/operations',
  tags: ['Operations'],
  summary: 'List outbound operations',
  request: {
    query: z
      .object({
        ...listBase,
        connection_id: z.string().max(64).optional(),
        state: z.enum(['pending', 'running', 'succeeded', 'failed', 'paused']).optional(),
        kind: OperationKindSchema.optional(),
        sort: z.enum(['created_at', '-created_at', 'updated_at', '-updated_at']).optional(),
      })
      .strict(),
  },
  responses: { 200: { description: 'A page of operations', content: { 'application/json': { schema: pageSchema(Operation, 'OperationPage') } } }, ...problems },
});

const getOperationRoute = createRoute({
  method: 'get',
  path: '/v1/operations/{id}',
  tags: ['Operations'],
  summary: 'One operation: state, attempts, last error, result',
  request: { params: idParam('opr_01JD3X8Y6Z7QK2M4N5P6R7S8T9') },
  responses: { 200: { description: 'The operation', content: { 'application/json': { schema: Operation } } }, ...problems },
});

const listDeadLettersRoute = createRoute({
  method: 'get',
  path: '/v1/dead-letters',
  tags: ['Operations'],
  summary: 'Records that could not be stored and writes that could not be made, with the reason',
  request: {
    query: z
      .object({
        ...listBase,
        connection_id: z.string().max(64).optional(),
        state: z.enum(['open', 'replayed', 'resolved']).optional(),
        source: z.enum(['pull', 'operation']).optional(),
        sort: z.enum(['created_at', '-created_at', 'updated_at', '-updated_at']).optional(),
      })
      .strict(),
  },
  responses: { 200: { description: 'A page of dead letters', content: { 'application/json': { schema: pageSchema(DeadLetter, 'DeadLetterPage') } } }, ...problems },
});

const replayRoute = createRoute({
  method: 'post',
  path: '/v1/dead-letters/{id}/replay',
  tags: ['Operations'],
  summary: 'Try a dead letter again, once: a record is normalized and stored again; an operation is re-queued with its idempotency key',
  request: { params: idParam('dlq_01JD3X8Y6Z7QK2M4N5P6R7S8T9') },
  responses: {
    200: { description: 'The dead letter after the replay', content: { 'application/json': { schema: DeadLetter } } },
    ...problems,
    409: bodyProblems[409],
    422: bodyProblems[422],
  },
});

/** How long a write request waits for its operation before answering 202. */
export const SYNC_WAIT_MS = 3_000;

export function syncRoutes(app: OpenAPIHono<AppEnv>, engine: SyncEngine): void {
  app.openapi(syncRoute, async (c) => {
    const id = checkId('connection', c.req.valid('param').id, 'Connection');
    const body = c.req.header('content-length') === '0' || !c.req.header('content-type') ? {} : c.req.valid('json');
    const full = c.req.valid('query').full === 'true' || body.full === true;
    const queued = await engine.requestSync(c.get('tenantId'), id, body.entities, full);
    return c.json({ queued }, 202);
  });

  app.openapi(statusRoute, async (c) => {
    const id = checkId('connection', c.req.valid('param').id, 'Connection');
    return c.json(await engine.status(c.get('tenantId'), id), 200);
  });

  app.openapi(createOperationRoute, async (c) => {
    const id = checkId('connection', c.req.valid('param').id, 'Connection');
    const tenantId = c.get('tenantId');
    const body = c.req.valid('json');
    const key = c.req.valid('header')['idempotency-key'] ?? `api:${ulid()}`;
    const { op, created } = await engine.submit({ tenantId, connectionId: id, kind: body.kind, payload: body.payload, idempotencyKey: key });
    c.get('log').info({ connection_id: id, operation_id: op.id, kind: op.kind, replayed_request: !created }, 'operation submitted');
    const finished = await engine.waitForOperation(tenantId, op.id, SYNC_WAIT_MS);
    c.header('location', `/v1/operations/${op.id}`);
    if (finished.state === 'succeeded' || finished.state === 'failed') return c.json(toOperation(finished), 200);
    return c.json(toOperation(finished), 202);
  });

  app.openapi(listOperationsRoute, async (c) => {
    const q = c.req.valid('query');
    const { sort, cursor } = paging(q);
    const page = await listOperations(engine.db, c.get('tenantId'), q, sort, cursor, q.limit);
    return c.json({ data: page.data.map(toOperation), next_cursor: page.next_cursor }, 200);
  });

  app.openapi(getOperationRoute, async (c) => {
    const id = checkId('operation', c.req.valid('param').id, 'Operation');
    return c.json(toOperation(await getOperation(engine.db, c.get('tenantId'), id)), 200);
  });

  app.openapi(listDeadLettersRoute, async (c) => {
    const q = c.req.valid('query');
    const { sort, cursor } = paging(q);
    const page = await listDeadLetters(engine.db, c.get('tenantId'), q, sort, cursor, q.limit);
    return c.json({ data: page.data.map(toDeadLetter), next_cursor: page.next_cursor }, 200);
  });

  app.openapi(replayRoute, async (c) => {
    const id = checkId('deadLetter', c.req.valid('param').id, 'Dead letter');
    return c.json(toDeadLetter(await engine.replayDeadLetter(c.get('tenantId'), id)), 200);
  });
}

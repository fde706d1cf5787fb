// Outbound operations: every upstream write is a row with an idempotency key derived from the business
// action, executed by the workers. A crash at any point re-runs the attempt with the same key, and the
// adapter's write is idempotent on that key, so the upstream sees the effect once.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../../store/db.ts';
import { enqueueJob } from '../../store/jobs.ts';
import { addDeadLetter, getOperationById, insertOperation, OPERATION_KINDS, type OperationKind, type OperationRow } from '../../store/sync.ts';
import { inTransaction } from '../../store/upsert.ts';
import { writeEvents, type NewEvent } from '../../store/events.ts';
import { AppError } from '../errors.ts';
import { Money, OrderInput } from '../model/index.ts';
import type { Capability, ChannelAdapter, ChannelWrites, WriteResult } from '../ports.ts';
import { backoffMs, classify, errorKind, errorMessage, retryAfterOf } from './retry.ts';

const SetStock = z.object({ sku: z.string().min(1).max(255), quantity: z.number().int().min(0).max(10_000_000), location_id: z.string().max(255).nullish() }).strict();
const UpdateProduct = z
  .object({
    external_id: z.string().max(255).nullish(),
    sku: z.string().min(1).max(255),
    fields: z
      .object({
        title: z.string().max(1024).optional(),
        description: z.string().max(200_000).nullish(),
        status: z.enum(['active', 'inactive']).optional(),
        attributes: z.record(z.string().max(255), z.unknown()).optional(),
      })
      .strict(),
  })
  .strict();
const UpdatePrice = z.object({ sku: z.string().min(1).max(255), price: Money, sale_price: Money.nullish(), marketplace_id: z.string().max(64).nullish() }).strict();
const CreateShipment = z
  .object({
    order_external_id: z.string().min(1).max(255),
    lines: z.array(z.object({ external_line_id: z.string().max(255).nullish(), sku: z.string().min(1).max(255), quantity: z.number().int().min(1) }).strict()).min(1).max(1000),
    carrier: z.string().max(255).nullish(),
    service: z.string().max(255).nullish(),
    tracking_number: z.string().max(255).nullish(),
    tracking_url: z.string().max(2048).nullish(),
    shipped_at: z.iso.datetime({ offset: true }).nullish(),
  })
  .strict();
const CancelOrder = z.object({ order_external_id: z.string().min(1).max(255), reason: z.string().max(1024).nullish() }).strict();
const SetStockBulk = z.object({ items: z.array(SetStock).min(1).max(10_000) }).strict();
const UpdatePriceBulk = z.object({ items: z.array(UpdatePrice).min(1).max(10_000) }).strict();
const Listing = z
  .object({
    sku: z.string().min(1).max(255),
    marketplace_id: z.string().max(64).nullish(),
    product_type: z.string().min(1).max(128),
    title: z.string().max(10_000).optional(),
    description: z.string().max(200_000).nullish(),
    image_url: z.string().max(2048).nullish(),
    identifier: z.object({ type: z.string().min(1).max(32), value: z.string().min(1).max(255) }).strict().nullish(),
    identifier_exempt: z.boolean().optional(),
    variation: z
      .object({ role: z.enum(['parent', 'child']), attributes: z.array(z.string().min(1).max(255)).max(20), theme: z.string().max(255).nullish(), parent_sku: z.string().min(1).max(255).optional() })
      .strict()
      .nullish(),
    attributes: z.record(z.string().max(255), z.unknown()),
    offer_only: z.boolean().optional(),
  })
  .strict();
const PublishListings = z.object({ items: z.array(Listing).min(1).max(10_000) }).strict();
const OrderComment = z.object({ order_external_id: z.string().min(1).max(255), comment: z.string().min(1).max(10_000), notify_customer: z.boolean().optional() }).strict();

/** Each operation kind: its payload schema, the capability it needs, and the adapter write it calls. */
export const OPERATION_SPECS = {
  'inventory.set': { schema: SetStock, capability: 'inventory.write', write: 'setStock' },
  'product.update': { schema: UpdateProduct, capability: 'products.write', write: 'updateProduct' },
  'price.update': { schema: UpdatePrice, capability: 'products.write', write: 'updatePrice' },
  'order.create': { schema: OrderInput, capability: 'orders.write', write: 'createOrder' },
  'shipment.create': { schema: CreateShipment, capability: 'shipments.write', write: 'createShipment' },
  'order.cancel': { schema: CancelOrder, capability: 'orders.cancel', write: 'cancelOrder' },
  'inventory.set_bulk': { schema: SetStockBulk, capability: 'inventory.write', write: 'setStockBulk' },
  'price.update_bulk': { schema: UpdatePriceBulk, capability: 'products.write', write: 'updatePriceBulk' },
  'listings.publish': { schema: PublishListings, capability: 'listings.write', write: 'publishListings' },
  'order.comment': { schema: OrderComment, capability: 'orders.write', write: 'addOrderComment' },
} as const satisfies Record<OperationKind, { schema: z.ZodType; capability: Capability; write: keyof ChannelWrites }>;

export const OperationKindSchema = z.enum(OPERATION_KINDS);

/** Bulk writes take their items in an envelope (`{ items: [...] }`): the adapter gets the array. */
const BULK_WRITES: ReadonlySet<string> = new Set(['setStockBulk', 'updatePriceBulk', 'publishListings']);

/** Bounded transient retries: after this many attempts the operation is dead-lettered. */
export const MAX_TRANSIENT_ATTEMPTS = 8;

/**
 * What makes two requests the same: kind, connection and payload, with object keys in a canonical
 * order. JSON objects are unordered; a client retrying with the same body serialized differently
 * (`{"b":1,"a":2}`) sends the same request, and must not get a 409.
 */
export function requestHash(kind: string, connectionId: string, payload: unknown): string {
  return createHash('sha256').update(JSON.stringify([kind, connectionId, canonical(payload)])).digest('hex');
}

/** The value with every object's keys sorted, recursively (arrays keep their order). */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
  );
}

export function operationQueue(connectionId: string): string {
  // One queue per connection: writes to one upstream account apply in the order they were made.
  return `ops:${connectionId}`;
}

export interface SubmitOperation {
  tenantId: string;
  connectionId: string;
  capabilities: readonly Capability[];
  kind: OperationKind;
  payload: unknown;
  idempotencyKey: string;
}

/**
 * Validates and stores an operation and enqueues its job in the same transaction (the caller's, when
 * `db` is one). The same key with the same request returns the stored operation; with another, 409.
 */
export async function submitOperation(db: Db, s: SubmitOperation): Promise<{ op: OperationRow; created: boolean }> {
  const spec = OPERATION_SPECS[s.kind];
  if (!s.capabilities.includes(spec.capability)) {
    throw new AppError('validation', `this connection's channel cannot do ${s.kind}`, { errors: [{ path: 'kind', message: `needs the ${spec.capability} capability` }] });
  }
  const parsed = spec.schema.safeParse(s.payload);
  if (!parsed.success) {
    throw new AppError('validation', `the ${s.kind} payload is not valid`, {
      errors: parsed.error.issues.map((i) => ({ path: ['payload', ...i.path.map(String)].join('.'), message: i.message })),
    });
  }
  const payload = parsed.data as Record<string, unknown>;
  return inTransaction(db, async (trx) => {
    const res = await insertOperation(trx, {
      tenantId: s.tenantId,
      connectionId: s.connectionId,
      kind: s.kind,
      idempotencyKey: s.idempotencyKey,
      requestHash: requestHash(s.kind, s.connectionId, payload),
      payload,
    });
    if (res.created) await enqueueOperation(trx, res.op.id, s.connectionId);
    return res;
  });
}

export async function enqueueOperation(db: Db, operationId: string, connectionId: string, runAt?: Date): Promise<void> {
  await enqueueJob(db, 'operation', { operation_id: operationId }, { queue: operationQueue(connectionId), key: `op:${operationId}`, runAt, maxAttempts: 50 });
}

export type ExecuteOutcome =
  | { state: 'succeeded'; result: WriteResult }
  | { state: 'retry'; class: 'throttled' | 'transient'; runAt: Date }
  | { state: 'failed'; kind: string; reason: string }
  | { state: 'paused' }
  | { state: 'skipped' };

export interface ExecuteHooks {
  /** The upstream refused the credentials: mark the connection and pause its work. */
  onAuthFailure(op: OperationRow, reason: string): Promise<void>;
  now?: () => number;
  random?: () => number;
}

/** Runs one attempt of an operation and records what happened. */
export async function executeOperation(db: Db, operationId: string, adapterFor: (op: OperationRow) => Promise<{ adapter: ChannelAdapter; status: string }>, hooks: ExecuteHooks): Promise<ExecuteOutcome> {
  const now = hooks.now ?? Date.now;
  const op = await getOperationById(db, operationId);
  if (!op || op.state === 'succeeded' || op.state === 'failed') return { state: 'skipped' };
  const { adapter, status } = await adapterFor(op);
  if (status === 'needs_reauth' || status === 'paused' || status === 'disabled') {
    // Say why, as the attempt that met the refusal does: the operation shows what it waits for.
    const why = status === 'needs_reauth' ? { last_error: 'the connection needs new credentials', last_error_kind: 'auth_failed' } : { last_error: `the connection is ${status}`, last_error_kind: 'paused' };
    await db.updateTable('operations').set({ state: 'paused', ...why, updated_at: new Date() }).where('id', '=', op.id).execute();
    return { state: 'paused' };
  }
  const spec = OPERATION_SPECS[op.kind as OperationKind];
  const write = spec && adapter.writes?.[spec.write];
  if (!spec || !write) return fail(db, op, 'validation', `the channel has no ${spec?.write ?? op.kind} write`);

  // The attempt is committed before the call: a crash after it re-runs the call with the same key.
  const attempt = await db
    .updateTable('operations')
    .set({ state: 'running', attempts: op.attempts + 1, updated_at: new Date() })
    .where('id', '=', op.id)
    .where('state', 'in', ['pending', 'running', 'paused'])
    .returning('attempts')
    .executeTakeFirst();
  if (!attempt) return { state: 'skipped' };
  try {
    const input = BULK_WRITES.has(spec.write) ? (op.payload as { items: unknown[] }).items : op.payload;
    const result = await (write as (input: unknown, ctx: { idempotencyKey: string }) => Promise<WriteResult>).call(adapter.writes, input, {
      idempotencyKey: op.idempotency_key,
    });
    await db.transaction().execute(async (trx) => {
      const done = await trx
        .updateTable('operations')
        .set({ state: 'succeeded', result: JSON.stringify(result ?? {}), last_error: null, last_error_kind: null, completed_at: new Date(), updated_at: new Date(), next_attempt_at: null })
        .where('id', '=', op.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await writeEvents(trx, [operationEvent('operation.succeeded', done)]);
    });
    return { state: 'succeeded', result };
  } catch (err) {
    const cls = classify(err);
    const reason = errorMessage(err).slice(0, 2000);
    if (cls === 'throttled') {
      // Waiting for the bucket is not a failure: the attempt does not count.
      const runAt = new Date(now() + retryAfterOf(err));
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('operations').set({ state: 'pending', attempts: op.attempts, last_error: reason, last_error_kind: 'throttled', next_attempt_at: runAt, updated_at: new Date() }).where('id', '=', op.id).execute();
        await enqueueOperation(trx, op.id, op.connection_id, runAt);
      });
      return { state: 'retry', class: 'throttled', runAt };
    }
    if (cls === 'transient' && attempt.attempts < MAX_TRANSIENT_ATTEMPTS) {
      const runAt = new Date(now() + backoffMs(attempt.attempts, 1_000, 10 * 60_000, hooks.random));
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('operations').set({ state: 'pending', last_error: reason, last_error_kind: errorKind(err), next_attempt_at: runAt, updated_at: new Date() }).where('id', '=', op.id).execute();
        await enqueueOperation(trx, op.id, op.connection_id, runAt);
      });
      return { state: 'retry', class: 'transient', runAt };
    }
    if (cls === 'auth') {
      await db.updateTable('operations').set({ state: 'paused', attempts: op.attempts, last_error: reason, last_error_kind: 'auth_failed', updated_at: new Date() }).where('id', '=', op.id).execute();
      await hooks.onAuthFailure(op, reason);
      return { state: 'paused' };
    }
    const kind = cls === 'transient' ? 'retries_exhausted' : errorKind(err);
    return fail(db, op, kind, cls === 'transient' ? `gave up after ${attempt.attempts} attempts: ${reason}` : reason);
  }
}

async function fail(db: Db, op: OperationRow, kind: string, reason: string): Promise<ExecuteOutcome> {
  await db.transaction().execute(async (trx) => {
    const done = await trx
      .updateTable('operations')
      .set({ state: 'failed', last_error: reason, last_error_kind: kind, completed_at: new Date(), updated_at: new Date(), next_attempt_at: null })
      .where('id', '=', op.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const deadLetterId = await addDeadLetter(trx, { tenantId: op.tenant_id, connectionId: op.connection_id, source: 'operation', operationId: op.id, errorKind: kind, reason, payload: op.payload });
    await writeEvents(trx, [operationEvent('operation.failed', done, { dead_letter_id: deadLetterId })]);
  });
  return { state: 'failed', kind, reason };
}

/** The operation as GET /v1/operations/{id} shows it, as an event. */
function operationEvent(type: 'operation.succeeded' | 'operation.failed', op: OperationRow, extra: Record<string, unknown> = {}): NewEvent {
  const object = {
    id: op.id,
    connection_id: op.connection_id,
    kind: op.kind,
    idempotency_key: op.idempotency_key,
    state: op.state,
    attempts: op.attempts,
    payload: op.payload,
    result: op.result,
    last_error: op.last_error,
    last_error_kind: op.last_error_kind,
    created_at: op.created_at.toISOString(),
    completed_at: op.completed_at?.toISOString() ?? null,
    ...extra,
  };
  return { tenantId: op.tenant_id, type, entityType: 'operation', entityId: op.id, connectionId: op.connection_id, data: { object } };
}

/** New credentials: paused operations of the connection go back to the queue. */
export async function resumePausedOperations(db: Db, connectionId: string): Promise<number> {
  return inTransaction(db, async (trx) => {
    const rows = await trx
      .updateTable('operations')
      .set({ state: 'pending', updated_at: new Date(), next_attempt_at: new Date() })
      .where('connection_id', '=', connectionId)
      .where('state', '=', 'paused')
      .returning('id')
      .execute();
    for (const r of rows) await enqueueOperation(trx, r.id, connectionId);
    return rows.length;
  });
}

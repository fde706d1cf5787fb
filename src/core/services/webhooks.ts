// Webhook endpoints and deliveries, for every surface that manages them (REST /v1/webhooks, the
// API2Cart-compatible webhook.* methods): URLs pass the SSRF rules, secrets are made here and shown once.
import type { Db } from '../../store/db.ts';
import type { Cursor, Page, Sort } from '../../store/paging.ts';
import {
  deleteEndpoint,
  getDelivery,
  getEndpoint,
  insertEndpoint,
  listDeliveries,
  listEndpoints,
  requeueDelivery,
  updateEndpoint,
  type DeliveryRow,
  type EndpointPatch,
  type EndpointRow,
} from '../../store/webhooks.ts';
import { inTransaction } from '../../store/upsert.ts';
import { AppError } from '../errors.ts';
import { EVENT_TYPE_DESCRIPTIONS, EVENT_TYPES, WebhookCreate, WebhookUpdate, type EventType, type WebhookDelivery, type WebhookEndpoint } from '../model/index.ts';
import { assertUpstreamUrl } from '../net.ts';
import type { SecretBox } from '../ports.ts';
import { queueDrain } from '../webhooks/delivery.ts';
import { generateSecret } from '../webhooks/signature.ts';

export interface WebhookServiceDeps {
  db: Db;
  box: SecretBox;
  allowPrivateUpstreams: boolean;
}

export function toWebhookEndpoint(r: EndpointRow): WebhookEndpoint {
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    event_types: r.event_types,
    filters: { connection_ids: r.connection_ids, channels: r.channels },
    enabled: r.enabled,
    disabled_reason: r.disabled_reason,
    failing_since: r.failing_since?.toISOString() ?? null,
    consecutive_failures: r.consecutive_failures,
    last_success_at: r.last_success_at?.toISOString() ?? null,
    last_failure_at: r.last_failure_at?.toISOString() ?? null,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

export function toWebhookDelivery(r: DeliveryRow & { event_type: string }): WebhookDelivery {
  return {
    id: r.id,
    endpoint_id: r.endpoint_id,
    event_id: r.event_id,
    event_type: r.event_type,
    state: r.state as WebhookDelivery['state'],
    attempts: r.attempts,
    next_attempt_at: r.state === 'pending' ? (r.next_attempt_at?.toISOString() ?? null) : null,
    last_attempt_at: r.last_attempt_at?.toISOString() ?? null,
    last_status: r.last_status,
    last_error: r.last_error,
    last_duration_ms: r.last_duration_ms,
    created_at: r.created_at.toISOString(),
    delivered_at: r.delivered_at?.toISOString() ?? null,
  };
}

function parse<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, input: unknown): T {
  const r = schema.safeParse(input);
  if (!r.success) throw new AppError('validation', 'the webhook endpoint is not valid', { errors: r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })) });
  return r.data;
}

async function checkUrl(deps: WebhookServiceDeps, url: string): Promise<string> {
  return (await assertUpstreamUrl(url, deps.allowPrivateUpstreams, 'url')).toString();
}

/** Creates an endpoint; the answer carries its secret, which is never shown again. */
export async function createWebhook(deps: WebhookServiceDeps, tenantId: string, input: WebhookCreate): Promise<WebhookEndpoint & { secret: string }> {
  const w = parse(WebhookCreate, input);
  const url = await checkUrl(deps, w.url);
  const secret = generateSecret();
  const row = await insertEndpoint(deps.db, tenantId, {
    url,
    description: w.description ?? null,
    event_types: [...new Set(w.event_types)],
    connection_ids: w.filters?.connection_ids ?? [],
    channels: w.filters?.channels ?? [],
    secret_enc: deps.box.seal(secret),
    enabled: w.enabled,
  });
  return { ...toWebhookEndpoint(row), secret };
}

export async function getWebhook(deps: WebhookServiceDeps, tenantId: string, id: string): Promise<WebhookEndpoint> {
  return toWebhookEndpoint(await getEndpoint(deps.db, tenantId, id));
}

export async function listWebhooks(deps: WebhookServiceDeps, tenantId: string, cursor: Cursor | null, limit: number, f: { enabled?: boolean | undefined } = {}): Promise<Page<WebhookEndpoint>> {
  const page = await listEndpoints(deps.db, tenantId, cursor, limit, f);
  return { data: page.data.map(toWebhookEndpoint), next_cursor: page.next_cursor };
}

/** Changes an endpoint; enabling a disabled one sends what waited meanwhile. */
export async function updateWebhook(deps: WebhookServiceDeps, tenantId: string, id: string, input: WebhookUpdate): Promise<WebhookEndpoint> {
  const w = parse(WebhookUpdate, input);
  const patch: EndpointPatch = {};
  if (w.url !== undefined) patch.url = await checkUrl(deps, w.url);
  if (w.description !== undefined) patch.description = w.description;
  if (w.event_types !== undefined) patch.event_types = [...new Set(w.event_types)];
  if (w.filters !== undefined) {
    patch.connection_ids = w.filters.connection_ids;
    patch.channels = w.filters.channels;
  }
  if (w.enabled !== undefined) patch.enabled = w.enabled;
  return inTransaction(deps.db, async (trx) => {
    const before = await getEndpoint(trx, tenantId, id);
    const row = await updateEndpoint(trx, tenantId, id, patch);
    if (row.enabled && !before.enabled) await queueDrain(trx, id);
    return toWebhookEndpoint(row);
  });
}

export async function deleteWebhook(deps: WebhookServiceDeps, tenantId: string, id: string): Promise<void> {
  await deleteEndpoint(deps.db, tenantId, id);
}

export async function listWebhookDeliveries(
  deps: WebhookServiceDeps,
  tenantId: string,
  endpointId: string,
  f: { state?: string | undefined; event_id?: string | undefined },
  sort: Sort,
  cursor: Cursor | null,
  limit: number,
): Promise<Page<WebhookDelivery>> {
  await getEndpoint(deps.db, tenantId, endpointId);
  const page = await listDeliveries(deps.db, tenantId, { ...f, endpoint_id: endpointId }, sort, cursor, limit);
  return { data: page.data.map(toWebhookDelivery), next_cursor: page.next_cursor };
}

/** Deliveries given up after the retry window, across the tenant's endpoints, most recent first. */
export async function listFailedDeliveries(deps: WebhookServiceDeps, tenantId: string, cursor: Cursor | null, limit: number): Promise<Page<WebhookDelivery>> {
  const page = await listDeliveries(deps.db, tenantId, { state: 'failed' }, { column: 'updated_at', desc: true }, cursor, limit);
  return { data: page.data.map(toWebhookDelivery), next_cursor: page.next_cursor };
}

/** Sends a delivery again (whatever its state), due now, with a fresh retry window. */
export async function redeliver(deps: WebhookServiceDeps, tenantId: string, endpointId: string, deliveryId: string): Promise<WebhookDelivery> {
  await inTransaction(deps.db, async (trx) => {
    const ep = await getEndpoint(trx, tenantId, endpointId);
    await requeueDelivery(trx, tenantId, endpointId, deliveryId);
    if (ep.enabled) await queueDrain(trx, endpointId);
  });
  return toWebhookDelivery(await getDelivery(deps.db, tenantId, endpointId, deliveryId));
}

export function eventTypes(): { type: EventType; description: string }[] {
  return EVENT_TYPES.map((type) => ({ type, description: EVENT_TYPE_DESCRIPTIONS[type] }));
}

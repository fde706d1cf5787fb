// API2Cart's webhook.* methods and account.failed_webhooks, as views over the same webhook endpoints
// as /v1/webhooks (src/core/services/webhooks.ts). An API2Cart webhook is one (entity, action) for the
// store the store key names: an endpoint subscribed to one event type with that connection as filter.
// Its integer id is the endpoint's `number`. Deliveries are the gateway's own (signed, retried, ordered).
import { sql } from 'kysely';
import type { EventType } from '../../../core/model/index.ts';
import { createWebhook, deleteWebhook, updateWebhook } from '../../../core/services/webhooks.ts';
import type { EndpointRow } from '../../../store/webhooks.ts';
import { A2C, A2cError } from '../codes.ts';
import { selectFields } from '../fields.ts';
import { a2cDate } from '../map.ts';
import type { MethodContext, MethodRegistry, Params } from '../registry.ts';
import { connectionOf, requireParam } from './common.ts';

/** API2Cart's (entity, action) pairs this gateway raises, and the event type each one is. */
export const A2C_WEBHOOK_EVENTS: { entity: string; action: string; type: EventType }[] = [
  { entity: 'order', action: 'add', type: 'order.created' },
  { entity: 'order', action: 'update', type: 'order.updated' },
  { entity: 'order.shipment', action: 'add', type: 'shipment.created' },
  { entity: 'product', action: 'add', type: 'product.created' },
  { entity: 'product', action: 'update', type: 'product.updated' },
];

function pairOf(type: string): { entity: string; action: string } {
  const known = A2C_WEBHOOK_EVENTS.find((e) => e.type === type);
  if (known) return known;
  const dot = type.lastIndexOf('.');
  return { entity: type.slice(0, dot), action: type.slice(dot + 1) };
}

function toA2cWebhook(r: EndpointRow): Record<string, unknown> {
  const { entity, action } = pairOf(r.event_types[0] ?? '*');
  return {
    id: r.number,
    label: r.description,
    store_id: null,
    lang_id: null,
    active: r.enabled,
    callback: r.url,
    fields: 'force_all',
    response_fields: null,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
    entity,
    action,
  };
}

/** The store's webhooks: endpoints filtered to its connection, oldest first. */
async function storeWebhooks(ctx: MethodContext, p: Params): Promise<EndpointRow[]> {
  const connection = connectionOf(ctx);
  const ids = typeof p.ids === 'string' && p.ids ? p.ids.split(',').map((s) => Number(s.trim())).filter(Number.isSafeInteger) : null;
  const rows = await ctx.deps.db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('tenant_id', '=', ctx.tenantId)
    .where(sql<boolean>`${connection.id} = ANY(connection_ids)`)
    .$if(ids !== null, (q) => q.where('number', 'in', ids!.length ? ids! : [-1]))
    .$if(typeof p.active === 'boolean', (q) => q.where('enabled', '=', p.active as boolean))
    .orderBy('number')
    .execute();
  return rows.filter((r) => {
    const pair = pairOf(r.event_types[0] ?? '*');
    return (typeof p.entity !== 'string' || pair.entity === p.entity) && (typeof p.action !== 'string' || pair.action === p.action);
  });
}

async function byNumber(ctx: MethodContext, idParam: string): Promise<EndpointRow> {
  const n = Number(idParam);
  const rows = Number.isSafeInteger(n) ? await storeWebhooks(ctx, { ids: String(n) }) : [];
  if (!rows[0]) throw new A2cError(A2C.NOT_FOUND, `Webhook ${idParam.slice(0, 40)} not found.`);
  return rows[0];
}

const serviceDeps = (ctx: MethodContext) => ({ db: ctx.deps.db, box: ctx.deps.box, allowPrivateUpstreams: ctx.deps.allowPrivateUpstreams });

export function registerWebhookMethods(r: MethodRegistry): void {
  r.register('webhook.events', async () => ({
    result: { events: A2C_WEBHOOK_EVENTS.map((e) => ({ webhook_name: `${e.entity}.${e.action}`, entity: e.entity, action: e.action, filterable_fields: {} })) },
  }));

  r.register('webhook.create', async (ctx, p) => {
    const connection = connectionOf(ctx);
    const entity = requireParam(p, 'entity');
    const action = requireParam(p, 'action');
    const pair = A2C_WEBHOOK_EVENTS.find((e) => e.entity === entity && e.action === action);
    if (!pair) throw new A2cError(A2C.INCORRECT_PARAMETERS, `Incorrect parameters: ${entity.slice(0, 40)}.${action.slice(0, 40)} is not an event this gateway raises (see webhook.events).`);
    if (p.filtering_conditions !== undefined && p.filtering_conditions !== '') throw new A2cError(A2C.INCORRECT_PARAMETERS, 'Incorrect parameters: filtering_conditions is not supported.');
    const callback = requireParam(p, 'callback');
    const created = await createWebhook(serviceDeps(ctx), ctx.tenantId, {
      url: callback,
      description: typeof p.label === 'string' ? p.label : null,
      event_types: [pair.type],
      filters: { connection_ids: [connection.id], channels: [] },
      enabled: p.active !== false,
    });
    const row = await ctx.deps.db.selectFrom('webhook_endpoints').select('number').where('id', '=', created.id).executeTakeFirstOrThrow();
    ctx.log.info({ webhook_id: created.id }, 'webhook endpoint created through webhook.create');
    return { result: { id: row.number } };
  });

  r.register('webhook.list', async (ctx, p) => {
    const rows = await storeWebhooks(ctx, p);
    const start = typeof p.start === 'number' ? p.start : 0;
    const count = typeof p.count === 'number' ? p.count : 10;
    return { result: { webhook: rows.slice(start, start + count).map((w) => selectFields(toA2cWebhook(w), p.params, undefined)) } };
  });

  r.register('webhook.count', async (ctx, p) => ({ result: { webhook_count: (await storeWebhooks(ctx, p)).length } }));

  r.register('webhook.update', async (ctx, p) => {
    const row = await byNumber(ctx, requireParam(p, 'id'));
    if (p.filtering_conditions !== undefined && p.filtering_conditions !== '' && p.filtering_conditions !== null) {
      throw new A2cError(A2C.INCORRECT_PARAMETERS, 'Incorrect parameters: filtering_conditions is not supported.');
    }
    await updateWebhook(serviceDeps(ctx), ctx.tenantId, row.id, {
      ...(typeof p.callback === 'string' && p.callback !== '' && { url: p.callback }),
      ...(typeof p.label === 'string' && { description: p.label }),
      ...(typeof p.active === 'boolean' && { enabled: p.active }),
    });
    return { result: { updated: 'true' } };
  });

  r.register('webhook.delete', async (ctx, p) => {
    const row = await byNumber(ctx, requireParam(p, 'id'));
    await deleteWebhook(serviceDeps(ctx), ctx.tenantId, row.id);
    return { result: { deleted: 'true' } };
  });

  r.register('account.failed_webhooks', async (ctx, p) => {
    const ids = typeof p.ids === 'string' && p.ids ? p.ids.split(',').map((s) => Number(s.trim())).filter(Number.isSafeInteger) : null;
    const base = ctx.deps.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_endpoints as w', 'w.id', 'd.endpoint_id')
      .innerJoin('events as e', 'e.id', 'd.event_id')
      .where('d.tenant_id', '=', ctx.tenantId)
      .where('d.state', '=', 'failed')
      .$if(ids !== null, (q) => q.where('w.number', 'in', ids!.length ? ids! : [-1]));
    const total = await base.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    const start = typeof p.start === 'number' ? p.start : 0;
    const count = typeof p.count === 'number' ? p.count : 10;
    const rows = await base.select(['w.number', 'e.entity_id', 'd.updated_at']).orderBy('d.updated_at', 'desc').orderBy('d.id', 'desc').offset(start).limit(count).execute();
    return {
      result: {
        all_failed_webhook: String(total.n),
        webhook: rows.map((w) => ({ webhook_id: w.number, entity_id: w.entity_id, time: a2cDate(w.updated_at.toISOString()) })),
      },
    };
  });
}

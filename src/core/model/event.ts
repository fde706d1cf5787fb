// Events: what changed, for the event log (GET /v1/events) and webhooks. One event names one entity,
// its connection, and carries the entity as it is now (`object`) and, for updates, the previous values
// of the fields that changed (`previous`).
import { z } from 'zod';
import { AppError } from '../errors.ts';

export const EVENT_TYPES = [
  'order.created',
  'order.updated',
  'order.shipped',
  'order.canceled',
  'product.created',
  'product.updated',
  'inventory.changed',
  'listing.issue',
  'shipment.created',
  'operation.succeeded',
  'operation.failed',
  'connection.needs_reauth',
  'connection.recovered',
  'sync.failed',
  'webhook.disabled',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const EVENT_TYPE_DESCRIPTIONS: Record<EventType, string> = {
  'order.created': 'An order was stored for the first time.',
  'order.updated': 'A stored order changed (data.previous has the old values of the changed fields).',
  'order.shipped': 'An order reached the shipped status.',
  'order.canceled': 'An order reached the canceled status.',
  'product.created': 'A product was stored for the first time.',
  'product.updated': 'A stored product changed.',
  'inventory.changed': 'A stock level was stored or its quantities changed.',
  'listing.issue': 'A marketplace reported a problem with a listing.',
  'shipment.created': 'A shipment was stored for the first time.',
  'operation.succeeded': 'An outbound write was applied upstream.',
  'operation.failed': 'An outbound write failed for good (it is in the dead letters).',
  'connection.needs_reauth': 'The upstream refused the connection\'s credentials; its work is paused.',
  'connection.recovered': 'A connection that needed new credentials is active again.',
  'sync.failed': 'Pulling an entity of a connection started failing.',
  'webhook.disabled': 'A webhook endpoint was disabled after failing for too long.',
};

/**
 * A pattern is an event type, a family with a wildcard (`order.*`), or `*` for everything.
 * @example matchesEventType(['order.*'], 'order.shipped') // true
 */
export function matchesEventType(patterns: readonly string[], type: string): boolean {
  return patterns.some((p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));
}

const FAMILIES = [...new Set(EVENT_TYPES.map((t) => t.split('.')[0]!))];

export const EventTypePattern = z
  .string()
  .max(64)
  .refine((p) => p === '*' || (EVENT_TYPES as readonly string[]).includes(p) || (p.endsWith('.*') && FAMILIES.includes(p.slice(0, -2))), {
    message: `must be an event type, a family with a wildcard (${FAMILIES.map((f) => `${f}.*`).join(', ')}) or *`,
  });

/** `order.*,shipment.created` as validated patterns (a query parameter). */
export function parseEventTypes(value: string | undefined): string[] | undefined {
  if (!value) return undefined;
  const types = value.split(',').map((t) => t.trim()).filter(Boolean);
  const bad = types.filter((t) => !EventTypePattern.safeParse(t).success);
  if (bad.length) throw new AppError('validation', 'type names unknown event types', { errors: bad.map((t) => ({ path: 'type', message: `unknown event type or pattern "${t}"` })) });
  return types;
}

export const Event = z
  .object({
    id: z.string(),
    type: z.enum(EVENT_TYPES),
    entity_type: z.string(),
    entity_id: z.string(),
    connection_id: z.string().nullable(),
    channel: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
    created_at: z.string(),
  })
  .meta({ id: 'Event' });
export type Event = z.infer<typeof Event>;

// Webhook endpoints (subscriptions to events) and their deliveries, as the API shows them.
import { z } from 'zod';
import { EventTypePattern } from './event.ts';

const Filters = z
  .object({
    connection_ids: z.array(z.string().max(64)).max(100).default([]).meta({ description: 'Only events of these connections (empty: all).' }),
    channels: z.array(z.string().max(32)).max(20).default([]).meta({ description: 'Only events of connections of these channels (empty: all).' }),
  })
  .strict()
  .meta({ id: 'WebhookFilters' });

export const WebhookEndpoint = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    event_types: z.array(z.string()).meta({ description: 'Event types or patterns: `order.shipped`, `order.*`, `*`.' }),
    filters: z.object({ connection_ids: z.array(z.string()), channels: z.array(z.string()) }),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable(),
    failing_since: z.string().nullable().meta({ description: 'Start of the current run of failed attempts; null after a success.' }),
    consecutive_failures: z.number().int(),
    last_success_at: z.string().nullable(),
    last_failure_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'WebhookEndpoint' });
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;

export const WebhookEndpointWithSecret = WebhookEndpoint.extend({
  secret: z.string().meta({ description: 'The signing secret (`whsec_…`). Shown once, at creation.' }),
}).meta({ id: 'WebhookEndpointWithSecret' });

export const WebhookCreate = z
  .object({
    url: z.string().max(2048),
    description: z.string().max(1024).nullish(),
    event_types: z.array(EventTypePattern).min(1).max(50),
    filters: Filters.optional(),
    enabled: z.boolean().default(true),
  })
  .strict()
  .meta({ id: 'WebhookCreate' });
export type WebhookCreate = z.input<typeof WebhookCreate>;

export const WebhookUpdate = z
  .object({
    url: z.string().max(2048).optional(),
    description: z.string().max(1024).nullish(),
    event_types: z.array(EventTypePattern).min(1).max(50).optional(),
    filters: Filters.optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .meta({ id: 'WebhookUpdate' });
export type WebhookUpdate = z.input<typeof WebhookUpdate>;

export const WEBHOOK_DELIVERY_STATES = ['pending', 'succeeded', 'failed'] as const;

export const WebhookDelivery = z
  .object({
    id: z.string(),
    endpoint_id: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    state: z.enum(WEBHOOK_DELIVERY_STATES).meta({ description: 'pending: waiting for an attempt or a retry; failed: given up after the retry window.' }),
    attempts: z.number().int(),
    next_attempt_at: z.string().nullable(),
    last_attempt_at: z.string().nullable(),
    last_status: z.number().int().nullable(),
    last_error: z.string().nullable(),
    last_duration_ms: z.number().int().nullable(),
    created_at: z.string(),
    delivered_at: z.string().nullable(),
  })
  .meta({ id: 'WebhookDelivery' });
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

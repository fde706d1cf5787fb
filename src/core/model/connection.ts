// A connection: one merchant's account on one channel (a Magento store, an Amazon seller account).
import { z } from 'zod';
import { Channel, Timestamp } from './common.ts';

export const ConnectionStatus = z
  .enum(['active', 'paused', 'needs_reauth', 'disabled'])
  .meta({ id: 'ConnectionStatus', description: 'needs_reauth: the upstream refused the credentials; jobs pause until they are replaced.' });
export type ConnectionStatus = z.infer<typeof ConnectionStatus>;

const Settings = z.record(z.string().max(64), z.unknown()).meta({ description: "Channel-specific settings, validated by the channel's adapter." });
const Credentials = z
  .record(z.string().max(64), z.unknown())
  .meta({ description: 'Channel-specific credentials. Encrypted at rest and never returned.' });

export const Connection = z
  .object({
    id: z.string(),
    channel: Channel,
    name: z.string().max(255),
    status: ConnectionStatus,
    settings: Settings,
    store_key: z.string().meta({ description: 'Key that identifies this connection to the API2Cart-compatible layer.' }),
    has_credentials: z.boolean(),
    last_error: z.string().nullish(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Connection' });
export type Connection = z.infer<typeof Connection>;

export const ConnectionCreate = z
  .object({
    channel: Channel,
    name: z.string().min(1).max(255),
    settings: Settings.default({}),
    credentials: Credentials.default({}),
  })
  .strict()
  .meta({ id: 'ConnectionCreate' });
export type ConnectionCreate = z.infer<typeof ConnectionCreate>;

export const ConnectionUpdate = z
  .object({
    name: z.string().min(1).max(255).optional(),
    status: z.enum(['active', 'paused']).optional(),
    settings: Settings.optional(),
    credentials: Credentials.optional(),
  })
  .strict()
  .meta({ id: 'ConnectionUpdate' });
export type ConnectionUpdate = z.infer<typeof ConnectionUpdate>;

// Creating and changing connections: the channel must have an adapter, settings and credentials must
// satisfy the adapter's schemas, upstream URLs must pass the SSRF rules, and the upstream must accept
// the credentials before anything is stored.
import type { z } from 'zod';
import type { AdapterRegistry } from '../registry.ts';
import { getConnection, getConnectionSecrets, insertConnection, updateConnection, type ConnectionPatch } from '../../store/connections.ts';
import type { Db } from '../../store/db.ts';
import { AppError, type FieldError } from '../errors.ts';
import type { Connection, ConnectionCreate, ConnectionUpdate } from '../model/index.ts';
import { assertUpstreamUrl } from '../net.ts';
import type { AdapterFactory, SecretBox } from '../ports.ts';

export interface ConnectionServiceDeps {
  db: Db;
  box: SecretBox;
  registry: AdapterRegistry;
  allowPrivateUpstreams: boolean;
}

function issuesToErrors(prefix: string, error: z.ZodError): FieldError[] {
  return error.issues.map((i) => ({ path: [prefix, ...i.path.map(String)].join('.'), message: i.message }));
}

function factoryFor(registry: AdapterRegistry, channel: string): AdapterFactory {
  const factory = registry.get(channel);
  if (!factory) {
    const known = registry.channels();
    throw new AppError('validation', `channel "${channel}" has no adapter`, {
      errors: [{ path: 'channel', message: known.length ? `must be one of: ${known.join(', ')}` : 'no channel adapters are installed' }],
    });
  }
  return factory;
}

async function checkAndTest(
  deps: ConnectionServiceDeps,
  factory: AdapterFactory,
  ids: { tenantId: string; connectionId: string },
  settingsIn: unknown,
  credentialsIn: unknown,
): Promise<{ settings: Record<string, unknown>; credentials: Record<string, unknown> }> {
  const settings = factory.settingsSchema.safeParse(settingsIn);
  const credentials = factory.credentialsSchema.safeParse(credentialsIn);
  const errors = [
    ...(settings.success ? [] : issuesToErrors('settings', settings.error)),
    ...(credentials.success ? [] : issuesToErrors('credentials', credentials.error)),
  ];
  if (errors.length || !settings.success || !credentials.success) throw new AppError('validation', 'settings or credentials are not valid for this channel', { errors });
  const s = settings.data as Record<string, unknown>;
  for (const [key, value] of Object.entries(s)) {
    if (typeof value === 'string' && /(url|endpoint)$/i.test(key)) await assertUpstreamUrl(value, deps.allowPrivateUpstreams, `settings.${key}`);
  }
  const adapter = factory.create({ ...ids, settings: s, credentials: credentials.data, allowPrivateUpstreams: deps.allowPrivateUpstreams });
  await adapter.testConnection();
  return { settings: s, credentials: credentials.data as Record<string, unknown> };
}

export async function createConnection(deps: ConnectionServiceDeps, tenantId: string, input: ConnectionCreate): Promise<Connection> {
  const factory = factoryFor(deps.registry, input.channel);
  const checked = await checkAndTest(deps, factory, { tenantId, connectionId: 'con_pending' }, input.settings, input.credentials);
  return insertConnection(deps.db, deps.box, tenantId, { channel: input.channel, name: input.name, ...checked });
}

/** Changing settings or credentials re-tests the connection; new credentials lift `needs_reauth`. */
export async function changeConnection(deps: ConnectionServiceDeps, tenantId: string, id: string, patch: ConnectionUpdate): Promise<Connection> {
  const current = await getConnection(deps.db, tenantId, id);
  const next: ConnectionPatch = { name: patch.name, status: patch.status };
  if (patch.settings !== undefined || patch.credentials !== undefined) {
    const factory = factoryFor(deps.registry, current.channel);
    const secrets = await getConnectionSecrets(deps.db, deps.box, tenantId, id);
    const checked = await checkAndTest(
      deps,
      factory,
      { tenantId, connectionId: id },
      patch.settings ?? current.settings,
      patch.credentials ?? secrets.credentials,
    );
    next.settings = checked.settings;
    if (patch.credentials !== undefined) {
      next.credentials = checked.credentials;
      if (current.status === 'needs_reauth' && patch.status === undefined) next.status = 'active';
      next.last_error = null;
    }
  }
  if (patch.status === 'active' && current.status === 'needs_reauth' && patch.credentials === undefined) {
    throw new AppError('conflict', 'this connection needs new credentials before it can be activated', {
      errors: [{ path: 'credentials', message: 'send new credentials with the update' }],
    });
  }
  return updateConnection(deps.db, deps.box, tenantId, id, next);
}

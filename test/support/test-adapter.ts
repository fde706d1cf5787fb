// A scripted channel for tests of the core before real adapters exist: its "upstream" accepts the
// api_key "good-key" and refuses everything else.
import { z } from 'zod';
import { AppError } from '../../src/core/errors.ts';
import type { AdapterFactory } from '../../src/core/ports.ts';

const Settings = z.object({ base_url: z.string().url(), shop: z.string().min(1).max(64).default('main') }).strict();
const Credentials = z.object({ api_key: z.string().min(1).max(256) }).strict();

export const scriptedAdapter: AdapterFactory<z.infer<typeof Settings>, z.infer<typeof Credentials>> = {
  manifest: { channel: 'scripted', displayName: 'Scripted test channel', capabilities: ['orders.read', 'products.read', 'inventory.read'] },
  settingsSchema: Settings,
  credentialsSchema: Credentials,
  create: (ctx) => ({
    async testConnection() {
      if (ctx.settings.shop === 'down') throw new AppError('upstream_unavailable', 'the scripted upstream did not answer');
      if (ctx.credentials.api_key !== 'good-key') throw new AppError('auth_failed', 'the scripted upstream refused the credentials');
    },
  }),
};

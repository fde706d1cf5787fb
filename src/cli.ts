// The `switchyard` command.
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { openApiDocument } from './api/app.ts';
import { loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { offlineApp, onShutdown, openRuntime, startServer } from './server.ts';
import { createApiKey, createTenant, findTenantByName, revokeApiKey } from './store/tenancy.ts';
import type { Db } from './store/db.ts';

const USAGE = `usage: switchyard <command>

  serve                          run the API and the workers (DATABASE_URL unset: embedded PostgreSQL)
  worker                         run workers only
  migrate                        apply pending database migrations
  tenant create <name>           create a tenant and print its first API key (shown once)
  key create <tenant> [--name N] create another API key for a tenant (by name or id)
  key revoke <key-id>            revoke an API key
  openapi                        print the OpenAPI document (YAML) the routes produce
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

async function withRuntime<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const rt = await openRuntime(config, log);
  try {
    return await fn(rt.db);
  } finally {
    await rt.close();
  }
}

async function tenantId(db: Db, nameOrId: string): Promise<string> {
  if (nameOrId.startsWith('ten_')) return nameOrId;
  const t = await findTenantByName(db, nameOrId);
  if (!t) fail(`no tenant named "${nameOrId}"`);
  return t.id;
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { name: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  const [cmd, sub, arg] = positionals;
  if (values.help || !cmd) {
    process.stdout.write(USAGE);
    return;
  }
  switch (cmd) {
    case 'serve': {
      const config = loadConfig();
      const log = createLogger(config.LOG_LEVEL);
      const rt = await openRuntime(config, log);
      const server = await startServer(rt);
      if (config.SWITCHYARD_WORKERS > 0) await rt.engine.startWorkers(config.SWITCHYARD_WORKERS);
      onShutdown(log, async () => {
        await server.stop();
        await rt.close();
      });
      return;
    }
    case 'worker': {
      const config = loadConfig();
      const log = createLogger(config.LOG_LEVEL);
      const rt = await openRuntime(config, log);
      await rt.engine.startWorkers(Math.max(1, config.SWITCHYARD_WORKERS));
      onShutdown(log, () => rt.close());
      return;
    }
    case 'migrate': {
      await withRuntime(async () => undefined);
      process.stdout.write('migrations are up to date\n');
      return;
    }
    case 'tenant': {
      if (sub !== 'create' || !arg) fail('usage: switchyard tenant create <name>');
      const out = await withRuntime(async (db) => {
        const tenant = await createTenant(db, arg);
        const { key, info } = await createApiKey(db, tenant.id, values.name ?? 'default');
        return { tenant, key, info };
      });
      process.stdout.write(`tenant ${out.tenant.id} (${out.tenant.name}) created\nAPI key (shown once, keep it safe): ${out.key}\nkey id: ${out.info.id}\n`);
      return;
    }
    case 'key': {
      if (sub === 'create' && arg) {
        const out = await withRuntime(async (db) => createApiKey(db, await tenantId(db, arg), values.name ?? 'default'));
        process.stdout.write(`API key (shown once, keep it safe): ${out.key}\nkey id: ${out.info.id}\n`);
        return;
      }
      if (sub === 'revoke' && arg) {
        const info = await withRuntime(async (db) => revokeApiKey(db, arg));
        process.stdout.write(`key ${info.id} revoked at ${info.revoked_at}\n`);
        return;
      }
      fail('usage: switchyard key create <tenant> [--name N] | key revoke <key-id>');
    }
    // falls through is impossible: fail() never returns
    case 'openapi': {
      // The document depends on the routes only: nothing here connects to a database.
      const app = offlineApp();
      process.stdout.write(stringify(openApiDocument(app), { lineWidth: 0 }));
      return;
    }
    default:
      fail(`unknown command "${cmd}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`switchyard: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

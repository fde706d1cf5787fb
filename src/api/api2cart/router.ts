// The /v1.1/<method>.json surface: API2Cart's transport, auth and envelope over the method registry.
// Every answer is HTTP 200 with {return_code, return_message, result, pagination}; errors carry
// API2Cart's return codes (codes.ts), never a problem+json page.
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { tenantForKey, hashApiKey } from '../../store/tenancy.ts';
import { connectionByStoreKey } from '../../store/api2cart.ts';
import type { KeyCache } from '../auth.ts';
import type { AppEnv } from '../context.ts';
import type { ApiDeps } from '../deps.ts';
import { A2C, A2cError, notSupported, toA2c } from './codes.ts';
import { applyFieldTree, parseResponseFields } from './fields.ts';
import { a2cMethods, type MethodRegistry, type Params } from './registry.ts';
import { registerCoreMethods } from './methods/index.ts';

const SUCCESS_MESSAGE = '';

function envelope(c: Context<AppEnv>, code: number, message: string, result: unknown = {}, pagination: unknown = null): Response {
  return c.json({ return_code: code, return_message: message, result, pagination }, 200);
}

/** Query parameters: a repeated key (or `key[]`) becomes an array, the keys themselves are not params. */
function queryParams(c: Context<AppEnv>): Params {
  const out: Params = {};
  for (const [rawKey, values] of Object.entries(c.req.queries())) {
    const key = rawKey.endsWith('[]') ? rawKey.slice(0, -2) : rawKey;
    if (key === 'api_key' || key === 'store_key') continue;
    out[key] = values.length > 1 || rawKey.endsWith('[]') ? values : values[0];
  }
  return out;
}

async function bodyParams(c: Context<AppEnv>): Promise<Params> {
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return {};
  const text = await c.req.text();
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new A2cError(A2C.INCORRECT_PARAMETERS, 'Incorrect parameters: the body is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new A2cError(A2C.INCORRECT_PARAMETERS, 'Incorrect parameters: the body must be a JSON object.');
  const out = { ...(parsed as Params) };
  delete out.api_key;
  delete out.store_key;
  return out;
}

/** The most a body may weigh, as on /v1. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface A2cOptions {
  keyCache: KeyCache;
  registry?: MethodRegistry;
}

let coreRegistered = false;

/** Mounts /v1.1/<method>.json on the app. */
export function mountApi2Cart(app: Hono<AppEnv>, deps: ApiDeps, options: A2cOptions): void {
  const registry = options.registry ?? a2cMethods;
  if (registry === a2cMethods && !coreRegistered) {
    registerCoreMethods(registry);
    coreRegistered = true;
  }
  const limit = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => envelope(c as Context<AppEnv>, A2C.INCORRECT_PARAMETERS, `Incorrect parameters: the body is over ${MAX_BODY_BYTES} bytes.`) });
  app.use('/v1.1/*', (c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limit(c, next)));
  app.on(['GET', 'POST', 'PUT', 'DELETE'], '/v1.1/:file', async (c) => {
    const file = c.req.param('file');
    const name = file.endsWith('.json') ? file.slice(0, -5) : file;
    const log = c.get('log').child({ a2c_method: name.slice(0, 100) });
    try {
      if (!(name in registry.specs)) throw new A2cError(A2C.METHOD_NOT_SPECIFIED, `Method '${name.slice(0, 100)}' is not specified: no such API2Cart method.`);
      const auth = c.req.header('authorization');
      const bearer = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1] : undefined;
      const apiKey = c.req.header('x-api-key')?.trim() || c.req.query('api_key') || bearer;
      if (!apiKey || apiKey.length > 512) throw new A2cError(A2C.INCORRECT_API_KEY, 'Incorrect API Key: send it as x-api-key or api_key.');
      const hash = hashApiKey(apiKey);
      let tenantId = options.keyCache.get(hash);
      if (tenantId === undefined) {
        tenantId = (await tenantForKey(deps.db, apiKey)) ?? null;
        options.keyCache.set(hash, tenantId);
      }
      if (!tenantId) throw new A2cError(A2C.INCORRECT_API_KEY, 'Incorrect API Key.');
      c.set('tenantId', tenantId);

      const method = registry.get(name);
      if (!method) throw notSupported(name);

      let connection = null;
      if (method.spec.store) {
        const storeKey = c.req.header('x-store-key')?.trim() || c.req.query('store_key');
        if (!storeKey) throw new A2cError(A2C.REQUIRED_PARAMETER, 'Store key is not specified: send it as x-store-key or store_key.');
        connection = storeKey.length <= 128 ? ((await connectionByStoreKey(deps.db, tenantId, storeKey)) ?? null) : null;
        if (!connection) throw new A2cError(A2C.STORE_NOT_FOUND, 'Store not found: no store of this account has that store key.');
      }

      const raw = { ...queryParams(c), ...(await bodyParams(c)) };
      const params = registry.parse(method, raw);
      const tree = typeof params.response_fields === 'string' && params.response_fields.trim() !== '' ? parseResponseFields(params.response_fields) : null;
      const out = await method.handler({ deps, tenantId, connection, log: connection ? log.child({ connection_id: connection.id }) : log, method: name }, params);
      const body = { return_code: A2C.SUCCESS, return_message: SUCCESS_MESSAGE, result: out.result, pagination: out.pagination ?? null };
      return c.json(tree ? applyFieldTree(body, tree) : body, 200);
    } catch (err) {
      const mapped = toA2c(err);
      if (mapped.unexpected) log.error({ err }, 'API2Cart method failed');
      else log.info({ return_code: mapped.code }, 'API2Cart method refused');
      return envelope(c, mapped.code, mapped.message);
    }
  });
}

// The HTTP application: REST under /v1, GraphQL at /graphql, and the service endpoints, in one Hono app.
import { OpenAPIHono } from '@hono/zod-openapi';
import { swaggerUI } from '@hono/swagger-ui';
import { sql } from 'kysely';
import { bodyLimit } from 'hono/body-limit';
import { methodNotAllowed } from 'hono/method-not-allowed';
import type { MiddlewareHandler } from 'hono';
import { ulid } from '../core/ids.ts';
import { mountGraphql } from '../graphql/index.ts';
import { mountApi2Cart } from './api2cart/router.ts';
import { KeyCache, requireApiKey } from './auth.ts';
import type { AppEnv } from './context.ts';
import type { ApiDeps } from './deps.ts';
import { createMetrics, type HttpMetrics } from './metrics.ts';
import { onError, problemResponse, validationHook } from './problem.ts';
import { catalogRoutes } from './routes/catalog.ts';
import { connectionRoutes } from './routes/connections.ts';
import { flowRoutes } from './routes/flows.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { orderRoutes } from './routes/orders.ts';
import { syncRoutes } from './routes/sync.ts';
import { eventRoutes } from './routes/events.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { writeRoutes } from './routes/writes.ts';

export const MAX_BODY_BYTES = 1024 * 1024;

export const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'Switchyard API',
    version: '1.0.0',
    description:
      'One normalized model of products, inventory, orders, shipments and customers across Magento 2 stores and Amazon seller accounts. ' +
      'Authenticate with `Authorization: Bearer <api key>` or `X-API-Key`. Errors are RFC 9457 problem+json.',
  },
  servers: [{ url: 'http://127.0.0.1:8080' }],
  security: [{ bearer: [] }],
};

export interface AppOptions {
  metrics?: HttpMetrics;
  keyCache?: KeyCache;
}

function requestContext(deps: ApiDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && /^[\w.-]{1,128}$/.test(incoming) ? incoming : ulid();
    c.set('requestId', requestId);
    c.set('log', deps.log.child({ request_id: requestId }));
    c.header('x-request-id', requestId);
    await next();
  };
}

/**
 * hono's bodyLimit, except on GET and HEAD, whose handlers never read a body. bodyLimit starts with
 * `c.req.raw.body`, which makes @hono/node-server turn its lightweight request into a full undici Request
 * (headers copied, an AbortSignal, a body stream): about 0.3 ms of CPU on every GET, for nothing.
 */
function limitBodies(limit: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> {
  return (c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limit(c, next));
}

/** 415 for a body that is not JSON on the JSON endpoints. */
const requireJson: MiddlewareHandler<AppEnv> = async (c, next) => {
  const method = c.req.method;
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    // Whether a body was sent, from the request itself: HTTP/2 (and app.request) bodies may come with
    // neither content-length nor transfer-encoding.
    const hasBody = c.req.raw.body !== null && c.req.header('content-length') !== '0';
    const type = c.req.header('content-type') ?? '';
    if (hasBody && !/^application\/(.+\+)?json\s*(;|$)/i.test(type)) {
      return problemResponse(c, 415, 'unsupported-media-type', `Send the body as application/json (got "${type || 'no content type'}").`);
    }
  }
  await next();
};

export function createApp(deps: ApiDeps, options: AppOptions = {}): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const metrics = options.metrics ?? createMetrics();
  const keyCache = options.keyCache ?? new KeyCache();

  app.use('*', requestContext(deps));
  app.use('*', metrics.middleware);
  app.use('*', methodNotAllowed({ app, onMethodNotAllowed: (c, methods) => { c.header('allow', methods.join(', ')); return problemResponse(c, 405, 'method-not-allowed', `${c.req.method} is not allowed here; use ${methods.join(', ')}.`); } }));
  const limit = limitBodies(bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => problemResponse(c, 413, 'body-too-large', `The body is over ${MAX_BODY_BYTES} bytes.`) }));
  app.use('/v1/*', limit, requireJson, requireApiKey(deps.db, keyCache));
  const graphqlAuth = requireApiKey(deps.db, keyCache);
  app.use('/graphql', limit, async (c, next) => {
    // The GraphiQL page itself is public (a browser cannot send the key); every query still needs one.
    const isPage = c.req.method === 'GET' && !c.req.query('query') && (c.req.header('accept') ?? '').includes('text/html');
    return isPage ? next() : graphqlAuth(c, next);
  });

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'A Switchyard API key' });

  orderRoutes(app, deps);
  catalogRoutes(app, deps);
  connectionRoutes(app, deps);
  syncRoutes(app, deps.engine);
  eventRoutes(app, deps);
  webhookRoutes(app, deps);
  flowRoutes(app, deps);
  writeRoutes(app, deps);
  notificationRoutes(app, deps.engine);
  mountGraphql(app, deps);
  mountApi2Cart(app, deps, { keyCache });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await sql`SELECT 1`.execute(deps.db);
      return c.json({ status: 'ready', checks: { database: 'ok' } });
    } catch (err) {
      c.get('log').warn({ err }, 'readiness check failed');
      return c.json({ status: 'unavailable', checks: { database: 'failed' } }, 503);
    }
  });
  app.get('/metrics', async (c) => c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }));
  app.doc31('/openapi.json', OPENAPI_INFO);
  app.get('/docs', swaggerUI({ url: '/openapi.json' }));

  app.notFound((c) => problemResponse(c, 404, 'not-found', `Nothing is served at ${c.req.method} ${c.req.path}.`));
  app.onError(onError);
  return app;
}

/** The OpenAPI document the routes produce: what `openapi.yaml` must match. */
export function openApiDocument(app: OpenAPIHono<AppEnv>): ReturnType<OpenAPIHono['getOpenAPI31Document']> {
  return app.getOpenAPI31Document(OPENAPI_INFO);
}

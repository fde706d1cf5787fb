// The Shopify Admin API simulator's HTTP surface (node:http):
// - POST /admin/api/2026-10/graphql.json with X-Shopify-Access-Token (401 `[API] Invalid API key or access
//   token` otherwise, as Shopify answers), run by the engine (execute.ts);
// - POST /admin/oauth/access_token: the client-credentials grant (client_id + client_secret → a token that
//   expires after `tokenTtlS`, 86,399 s by default);
// - GET /bulk/<id>.jsonl: finished bulk operations' results (the `url` a BulkOperation reports);
// - webhooks: each write's topics POSTed to the app's subscriptions, signed with X-Shopify-Hmac-Sha256
//   (base64 HMAC-SHA256 of the raw body under the app's client secret), some delivered twice;
// - faults: 5xx, a lost answer after the write took effect, malformed JSON, latency.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CostMeter } from './cost.ts';
import { LeakyBucket, ShopifyEngine, type GraphQLAnswer, type SimContext } from './execute.ts';
import type { WebhookEvent } from './mutations.ts';
import { API_VERSION } from './schema.ts';
import { ShopifyState, type SeedOptions } from './state.ts';

export const UNAUTHORIZED_BODY = { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' };
export const DEFAULT_SCOPES = ['read_products', 'write_products', 'read_inventory', 'write_inventory', 'read_locations', 'read_orders', 'write_orders', 'read_fulfillments', 'write_fulfillments', 'read_merchant_managed_fulfillment_orders', 'write_merchant_managed_fulfillment_orders', 'read_customers'];

export interface ShopifyApp {
  clientId: string;
  clientSecret: string;
  scopes: string[];
}

export interface ShopifySimOptions {
  seed?: SeedOptions;
  clock?: () => number;
  /** Standard plan: 100 points/s restored, a 2,000-point bucket */
  restoreRate?: number;
  bucketSize?: number;
  /** seconds a client-credentials token lives (Shopify: about 24 h) */
  tokenTtlS?: number;
  scopes?: string[];
  /** how long the search index trails writes (updated_at filters) */
  searchLagMs?: number;
  /** how long an orderCancel job takes */
  jobDelayMs?: number;
  /** how long a bulk operation runs before its file is ready */
  bulkDelayMs?: number;
  maxConcurrentBulk?: number;
  /** every n-th webhook delivery is sent twice (same X-Shopify-Event-Id); 0: never */
  duplicateWebhookEvery?: number;
}

export interface RequestLog {
  method: string;
  path: string;
  status: number;
  /** the operation's root fields, for GraphQL calls */
  fields?: string[];
  requestedCost?: number;
  actualCost?: number | null;
  throttled?: boolean;
}

export interface WebhookDelivery {
  topic: string;
  uri: string;
  eventId: string;
  webhookId: string;
  body: string;
  headers: Record<string, string>;
  status: number | null;
  duplicate: boolean;
}

type Fault = { kind: '5xx'; status: number } | { kind: 'lose' } | { kind: 'malformed' } | { kind: 'throttle429' };

export class ShopifyFaults {
  queue: (Fault & { pathContains?: string })[] = [];
  latencyMs = 0;
  fired: string[] = [];
  failNext(status: 500 | 502 | 503 | 504, n = 1, pathContains?: string): void {
    for (let i = 0; i < n; i++) this.queue.push({ kind: '5xx', status, pathContains });
  }
  /** The request is handled (a write takes effect), then the socket is destroyed before any answer. */
  loseAnswerNext(n = 1, pathContains?: string): void {
    for (let i = 0; i < n; i++) this.queue.push({ kind: 'lose', pathContains });
  }
  /** The request is handled, then answered 200 with half of the JSON. */
  malformedNext(n = 1, pathContains?: string): void {
    for (let i = 0; i < n; i++) this.queue.push({ kind: 'malformed', pathContains });
  }
  /** 429 with Retry-After, before the request is handled (Shopify's edge throttle). */
  throttle429Next(n = 1): void {
    for (let i = 0; i < n; i++) this.queue.push({ kind: 'throttle429' });
  }
  take(path: string): Fault | null {
    const i = this.queue.findIndex((f) => !f.pathContains || path.includes(f.pathContains));
    if (i < 0) return null;
    const [f] = this.queue.splice(i, 1);
    this.fired.push(f.kind);
    return f;
  }
  clear(): void {
    this.queue = [];
    this.latencyMs = 0;
  }
}

export interface ShopifySim {
  url: string;
  /** `${url}/admin/api/2026-10/graphql.json` */
  graphqlUrl: string;
  shopDomain: string;
  state: ShopifyState;
  engine: ShopifyEngine;
  faults: ShopifyFaults;
  app: ShopifyApp;
  /** a non-expiring Admin API access token of `app` (a custom app's token) */
  accessToken: string;
  requests: RequestLog[];
  deliveries: WebhookDelivery[];
  /** idempotency keys answered from memory */
  replays: string[];
  bucket(appId?: string): LeakyBucket;
  /** a token of another app, with the given scopes */
  addApp(scopes: string[]): { app: ShopifyApp; accessToken: string };
  expireTokens(): void;
  /** resolves when queued webhook deliveries and jobs are done */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startShopifySim(options: ShopifySimOptions = {}): Promise<ShopifySim> {
  const clock = options.clock ?? Date.now;
  const state = new ShopifyState(clock);
  state.seed(options.seed);
  state.searchLagMs = options.searchLagMs ?? 0;
  const engine = new ShopifyEngine(state);
  const faults = new ShopifyFaults();
  const requests: RequestLog[] = [];
  const deliveries: WebhookDelivery[] = [];
  const replays: string[] = [];
  const idempotency = new Map<string, { fingerprint: string; result: () => unknown }>();
  const pendingCancels = new Set<number>();
  const buckets = new Map<string, LeakyBucket>();
  const apps = new Map<string, ShopifyApp>();
  const tokens = new Map<string, { appId: string; scopes: string[]; expiresAt: number | null }>();
  const pending = new Set<Promise<unknown>>();
  const timers = new Set<NodeJS.Timeout>();
  let deliveryCount = 0;
  const restoreRate = options.restoreRate ?? 100;
  const bucketSize = options.bucketSize ?? 2000;
  const tokenTtlS = options.tokenTtlS ?? 86_399;
  const shopDomain = state.shop.myshopifyDomain;

  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
    return p;
  };
  const schedule = (ms: number, fn: () => void) => {
    let done!: () => void;
    track(new Promise<void>((r) => (done = r)));
    const t = setTimeout(() => {
      timers.delete(t);
      try {
        fn();
      } finally {
        done();
      }
    }, ms);
    timers.add(t);
  };

  const addApp = (scopes: string[]) => {
    const app = { clientId: randomBytes(16).toString('hex'), clientSecret: `shpss_${randomBytes(16).toString('hex')}`, scopes };
    apps.set(app.clientId, app);
    const accessToken = `shpat_${randomBytes(16).toString('hex')}`;
    tokens.set(accessToken, { appId: app.clientId, scopes, expiresAt: null });
    return { app, accessToken };
  };
  const main = addApp(options.scopes ?? DEFAULT_SCOPES);
  const bucket = (appId: string = main.app.clientId) => {
    let b = buckets.get(appId);
    if (!b) buckets.set(appId, (b = new LeakyBucket(bucketSize, restoreRate, clock)));
    return b;
  };

  const deliver = (event: WebhookEvent) => {
    const topicHeader = event.topic.toLowerCase().replace(/_([a-z]+)$/, '/$1');
    for (const w of state.webhooks.values()) {
      if (w.topic !== event.topic) continue;
      const app = apps.get(w.appId);
      if (!app) continue;
      const body = JSON.stringify(event.payload);
      const eventId = randomUUID();
      const webhookId = randomUUID();
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-shopify-topic': topicHeader,
        'x-shopify-shop-domain': shopDomain,
        'x-shopify-api-version': API_VERSION,
        'x-shopify-webhook-id': webhookId,
        'x-shopify-event-id': eventId,
        'x-shopify-triggered-at': new Date(clock()).toISOString(),
        'x-shopify-hmac-sha256': createHmac('sha256', app.clientSecret).update(body, 'utf8').digest('base64'),
      };
      deliveryCount++;
      const copies = options.duplicateWebhookEvery && deliveryCount % options.duplicateWebhookEvery === 0 ? 2 : 1;
      for (let c = 0; c < copies; c++) {
        const rec: WebhookDelivery = { topic: topicHeader, uri: w.uri, eventId, webhookId, body, headers, status: null, duplicate: c > 0 };
        deliveries.push(rec);
        track(
          fetch(w.uri, { method: 'POST', headers, body, signal: AbortSignal.timeout(5000) })
            .then(async (r) => {
              rec.status = r.status;
              await r.arrayBuffer();
            })
            .catch(() => {
              rec.status = 0;
            }),
        );
      }
    }
  };

  const hostCtx = (appId: string, scopes: Set<string>): SimContext =>
    engine.context(
      { appId, scopes, meter: new CostMeter(false) },
      {
        idempotency,
        replays,
        pendingCancels,
        jobDelayMs: options.jobDelayMs ?? 200,
        maxConcurrentBulk: options.maxConcurrentBulk ?? 5,
        schedule,
        emitLater: (topic, payload) => deliver({ topic, payload }),
        checkBulkQuery: (q) => engine.checkBulkQuery(q),
        startBulk: (id) => {
          const b = state.bulkOperations.get(id)!;
          b.status = 'RUNNING';
          schedule(options.bulkDelayMs ?? 50, () => {
            track(
              engine
                .runBulk(b.query, hostCtx(appId, scopes))
                .then(({ lines, rootObjectCount }) => {
                  const text = lines.length ? lines.join('\n') + '\n' : '';
                  const path = `/bulk/${b.id}.jsonl`;
                  state.bulkFiles.set(path, text);
                  Object.assign(b, { status: 'COMPLETED', completedAt: clock(), objectCount: lines.length, rootObjectCount, fileSize: Buffer.byteLength(text), url: lines.length ? `${sim.url}${path}` : null });
                  deliver({ topic: 'BULK_OPERATIONS_FINISH', payload: { admin_graphql_api_id: `gid://shopify/BulkOperation/${b.id}`, completed_at: new Date(clock()).toISOString(), created_at: new Date(b.createdAt).toISOString(), error_code: null, status: 'completed', type: 'query' } });
                })
                .catch(() => Object.assign(b, { status: 'FAILED', errorCode: 'INTERNAL_SERVER_ERROR', completedAt: clock() })),
            );
          });
        },
      },
    );

  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, fault?: Fault | null) => {
    const text = JSON.stringify(body);
    if (fault?.kind === 'lose') {
      res.socket?.destroy();
      return;
    }
    const out = fault?.kind === 'malformed' ? text.slice(0, Math.max(1, Math.floor(text.length / 2))) : text;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': randomUUID(), ...headers });
    res.end(out);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const log: RequestLog = { method: req.method ?? 'GET', path: url.pathname, status: 0 };
    requests.push(log);
    const raw = await readBody(req);
    if (faults.latencyMs) await new Promise((r) => setTimeout(r, faults.latencyMs));
    const fault = faults.take(url.pathname);
    if (fault?.kind === '5xx') {
      log.status = fault.status;
      res.writeHead(fault.status, { 'content-type': 'text/html' });
      res.end(`<html><body><h1>${fault.status === 503 ? 'Service Unavailable' : 'Internal Server Error'}</h1></body></html>`);
      return;
    }
    if (fault?.kind === 'throttle429') {
      log.status = 429;
      send(res, 429, { errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' }, { 'retry-after': '1.0' });
      return;
    }

    if (req.method === 'POST' && url.pathname === '/admin/oauth/access_token') {
      const ct = req.headers['content-type'] ?? '';
      const p: Record<string, unknown> = ct.includes('json') ? (JSON.parse(raw || '{}') as Record<string, unknown>) : Object.fromEntries(new URLSearchParams(raw));
      const app = apps.get(String(p.client_id));
      if (p.grant_type !== 'client_credentials') {
        log.status = 400;
        return send(res, 400, { error: 'unsupported_grant_type', error_description: 'The grant type is not supported.' });
      }
      if (!app || app.clientSecret !== p.client_secret) {
        log.status = 401;
        return send(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed.' });
      }
      const accessToken = `shpat_${randomBytes(16).toString('hex')}`;
      tokens.set(accessToken, { appId: app.clientId, scopes: app.scopes, expiresAt: clock() + tokenTtlS * 1000 });
      log.status = 200;
      return send(res, 200, { access_token: accessToken, scope: app.scopes.join(','), expires_in: tokenTtlS }, {}, fault);
    }

    if (req.method === 'GET' && url.pathname.startsWith('/bulk/')) {
      const file = state.bulkFiles.get(url.pathname);
      log.status = file === undefined ? 404 : 200;
      res.writeHead(log.status, { 'content-type': 'application/jsonl' });
      res.end(file ?? '');
      return;
    }

    const m = /^\/admin\/api\/([^/]+)\/graphql\.json$/.exec(url.pathname);
    if (!m) {
      log.status = 404;
      return send(res, 404, { errors: 'Not Found' });
    }
    const token = req.headers['x-shopify-access-token'];
    const grant = typeof token === 'string' ? tokens.get(token) : undefined;
    if (!grant || (grant.expiresAt !== null && clock() >= grant.expiresAt)) {
      log.status = 401;
      return send(res, 401, UNAUTHORIZED_BODY, { 'www-authenticate': 'Basic Realm="Shopify API Authentication"' });
    }
    if (m[1] !== API_VERSION) {
      log.status = 404;
      return send(res, 404, { errors: 'Not Found' });
    }
    if (req.method !== 'POST') {
      log.status = 405;
      return send(res, 405, { errors: 'Method Not Allowed' });
    }
    let body: { query?: unknown; variables?: unknown; operationName?: unknown };
    try {
      body = JSON.parse(raw) as typeof body;
    } catch {
      log.status = 400;
      return send(res, 400, { errors: { query: 'Required parameter missing or invalid' } });
    }
    if (typeof body?.query !== 'string' || !body.query.trim()) {
      log.status = 400;
      return send(res, 400, { errors: { query: 'Required parameter missing or invalid' } });
    }
    const ctx = hostCtx(grant.appId, new Set(grant.scopes));
    let answer: GraphQLAnswer;
    try {
      answer = await engine.run(body, bucket(grant.appId), ctx);
    } catch (e) {
      answer = { errors: [{ message: `Internal error. Looks like something went wrong on our end.\nRequest ID: ${randomUUID()} (include this in support requests).`, extensions: { code: 'INTERNAL_SERVER_ERROR', detail: (e as Error).message } }] };
    }
    for (const ev of ctx.events) deliver(ev);
    log.status = 200;
    log.fields = Object.keys((answer.data ?? {}) as object);
    log.requestedCost = answer.extensions?.cost.requestedQueryCost;
    log.actualCost = answer.extensions?.cost.actualQueryCost;
    log.throttled = answer.errors?.some((e) => e.extensions?.code === 'THROTTLED') ?? false;
    send(res, 200, answer, {}, fault);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { errors: `Internal Server Error: ${(e as Error).message}` });
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;

  const sim: ShopifySim = {
    url: `http://127.0.0.1:${port}`,
    graphqlUrl: `http://127.0.0.1:${port}/admin/api/${API_VERSION}/graphql.json`,
    shopDomain,
    state,
    engine,
    faults,
    app: main.app,
    accessToken: main.accessToken,
    requests,
    deliveries,
    replays,
    bucket,
    addApp,
    expireTokens: () => {
      for (const t of tokens.values()) t.expiresAt = clock() - 1;
    },
    settle: async () => {
      while (pending.size) await Promise.allSettled([...pending]);
    },
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return sim;
}

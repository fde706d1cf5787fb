// Amazon's SP-API models (Swagger 2.0) and JSON schemas (extracted into test/references/), loaded once: the
// operations the simulator serves (method, path, parameters, usage plan from the description), an ajv
// validator of response bodies against the models' definitions, the static sandbox cases, and the
// feed / processing report / notification schemas.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { reference } from '../../support/references.ts';


/** The model files the simulator serves, by short key. */
export const MODEL_FILES = {
  orders: 'models/orders-api-model/orders_2026-01-01.json',
  ordersV0: 'models/orders-api-model/ordersV0.json',
  sellers: 'models/sellers-api-model/sellers.json',
  listings: 'models/listings-items-api-model/listingsItems_2021-08-01.json',
  feeds: 'models/feeds-api-model/feeds_2021-06-30.json',
  definitions: 'models/product-type-definitions-api-model/definitionsProductTypes_2020-09-01.json',
  fbaInventory: 'models/fba-inventory-api-model/fbaInventory.json',
  catalog: 'models/catalog-items-api-model/catalogItems_2022-04-01.json',
  notifications: 'models/notifications-api-model/notifications.json',
} as const;
export type ModelKey = keyof typeof MODEL_FILES;

/** Operations served, per model (v0 orders: only confirmShipment; everything else is Orders 2026-01-01). */
export const SERVED: Record<ModelKey, readonly string[]> = {
  orders: ['searchOrders', 'getOrder'],
  ordersV0: ['confirmShipment'],
  sellers: ['getMarketplaceParticipations'],
  listings: ['getListingsItem', 'searchListingsItems', 'patchListingsItem', 'putListingsItem', 'deleteListingsItem'],
  feeds: ['createFeedDocument', 'createFeed', 'getFeed', 'getFeeds', 'cancelFeed', 'getFeedDocument'],
  definitions: ['getDefinitionsProductType', 'searchDefinitionsProductTypes'],
  fbaInventory: ['getInventorySummaries'],
  catalog: ['searchCatalogItems', 'getCatalogItem'],
  notifications: [
    'getSubscription',
    'createSubscription',
    'getSubscriptionById',
    'deleteSubscriptionById',
    'getDestinations',
    'createDestination',
    'getDestination',
    'deleteDestination',
  ],
};

/** Operations that take a grantless token (client_credentials with a scope) rather than a seller's token. */
export const GRANTLESS = new Set(['getDestinations', 'createDestination', 'getDestination', 'deleteDestination', 'getSubscriptionById', 'deleteSubscriptionById']);

export interface SwaggerParameter {
  name: string;
  in: 'query' | 'path' | 'body' | 'header' | 'formData';
  required?: boolean;
  type?: string;
  items?: { type?: string; enum?: string[] };
  enum?: string[];
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  minItems?: number;
  default?: unknown;
  schema?: unknown;
}

export interface SandboxCase {
  operationId: string;
  status: number;
  /** The case's parameters: `value` given = must equal; no `value` = any. */
  parameters: Record<string, { value?: unknown }>;
  /** Absent for cases answered with an empty body. */
  response: unknown;
  hasResponse: boolean;
}

export interface OperationSpec {
  operationId: string;
  model: ModelKey;
  method: string;
  /** Template as in the model, e.g. /orders/2026-01-01/orders/{orderId}. */
  path: string;
  regex: RegExp;
  pathParams: string[];
  parameters: SwaggerParameter[];
  /** Usage plan from the operation's description (requests per second, burst); undefined when not documented. */
  rate?: number;
  burst?: number;
  /** Response codes the model lists, to the JSON pointer of their schema (or null when there is none). */
  responses: Map<number, string | null>;
  sandbox: SandboxCase[];
  grantless: boolean;
  /** JSON pointer of the body parameter's schema, when the operation takes a body. */
  bodyPointer?: string;
}

interface SwaggerOperation {
  operationId: string;
  description?: string;
  parameters?: (SwaggerParameter | { $ref: string })[];
  responses?: Record<string, { schema?: unknown; 'x-amzn-api-sandbox'?: { static?: { request: { parameters?: Record<string, { value?: unknown }> }; response?: unknown }[] } }>;
}
type SwaggerDoc = {
  paths: Record<string, Record<string, SwaggerOperation | unknown>>;
  parameters?: Record<string, SwaggerParameter>;
  definitions: Record<string, unknown>;
};

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

/** One of Amazon's files by its path under the models repository (e.g. `models/orders-api-model/ordersV0.json`). */
export function readSpec(rel: string): unknown {
  const doc = reference<Record<string, unknown>>('amazon-sp-api-models')[rel];
  if (doc === undefined) throw new Error(`Amazon reference ${rel} is not in test/references (run npm run references)`);
  return doc;
}

/** Swagger 2.0 schemas, made acceptable to a draft-07 validator: vendor keys and Swagger-only keywords dropped. */
function clean(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(clean);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (k.startsWith('x-') || k === 'example' || k === 'discriminator' || k === 'readOnly' || k === 'externalDocs') continue;
    if ((k === 'exclusiveMinimum' || k === 'exclusiveMaximum') && typeof v === 'boolean') continue;
    // `properties`/`definitions` hold names, not keywords: keep every name.
    if (k === 'properties' || k === 'definitions' || k === 'paths' || k === 'responses') {
      out[k] = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([n, s]) => [n, clean(s)]));
      continue;
    }
    out[k] = clean(v);
  }
  // Many string fields list their values only in prose ("**Possible values**: `A`, `B`"); enforce them.
  const desc = (node as { description?: unknown }).description;
  if (out.type === 'string' && !out.enum && typeof desc === 'string') {
    const m = /\*\*Possible values\*\*:?\s*((?:`[^`]+`(?:,\s*|\s+and\s+|\.|\s)*)+)/.exec(desc);
    if (m) out.enum = [...(m[1] as string).matchAll(/`([^`]+)`/g)].map((x) => x[1]);
  }
  return out;
}

function pointer(...parts: string[]): string {
  return '#/' + parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

export class SpModels {
  readonly operations = new Map<string, OperationSpec>();
  readonly ajv: Ajv;
  readonly #validators = new Map<string, ValidateFunction>();
  readonly listingsFeed: ValidateFunction;
  readonly listingsFeedMessage: ValidateFunction;
  readonly processingReport: ValidateFunction;
  readonly orderChangeNotification: ValidateFunction;

  constructor() {
    this.ajv = new Ajv({ strict: false, validateSchema: false, allErrors: true, logger: false });
    const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => void;
    addFormats(this.ajv);
    for (const f of ['int32', 'int64', 'double', 'float', 'byte', 'binary', 'password', 'decimal']) this.ajv.addFormat(f, true);
    for (const [key, rel] of Object.entries(MODEL_FILES) as [ModelKey, string][]) {
      const doc = readSpec(rel) as SwaggerDoc;
      this.ajv.addSchema(clean({ ...doc, $id: `sp:${key}` }) as object, `sp:${key}`);
      for (const [path, ops] of Object.entries(doc.paths)) {
        const shared = ((ops as { parameters?: SwaggerParameter[] }).parameters ?? []) as SwaggerParameter[];
        for (const [method, raw] of Object.entries(ops)) {
          if (!METHODS.has(method)) continue;
          const op = raw as SwaggerOperation;
          if (!SERVED[key].includes(op.operationId)) continue;
          const params = [...shared, ...(op.parameters ?? [])].map((p) =>
            '$ref' in p ? (doc.parameters?.[p.$ref.split('/').pop() as string] as SwaggerParameter) : p,
          );
          const bodyIndex = (op.parameters ?? []).findIndex((p) => !('$ref' in p) && p.in === 'body');
          const plan = /\|\s*([\d.]+)\s*\|\s*(\d+)\s*\|/.exec(op.description ?? '');
          const pathParams: string[] = [];
          const regex = new RegExp(
            '^' +
              path.replace(/\{(\w+)\}/g, (_m, n: string) => {
                pathParams.push(n);
                return '([^/]*)';
              }) +
              '$',
          );
          const responses = new Map<number, string | null>();
          const sandbox: SandboxCase[] = [];
          for (const [code, r] of Object.entries(op.responses ?? {})) {
            const status = Number(code);
            responses.set(status, r.schema ? pointer('paths', path, method, 'responses', code, 'schema') : null);
            for (const c of r['x-amzn-api-sandbox']?.static ?? []) {
              sandbox.push({
                operationId: op.operationId,
                status,
                parameters: c.request.parameters ?? {},
                response: c.response,
                hasResponse: 'response' in c,
              });
            }
          }
          this.operations.set(op.operationId, {
            operationId: op.operationId,
            model: key,
            method: method.toUpperCase(),
            path,
            regex,
            pathParams,
            parameters: params,
            ...(plan ? { rate: Number(plan[1]), burst: Number(plan[2]) } : {}),
            responses,
            sandbox,
            grantless: GRANTLESS.has(op.operationId),
            ...(bodyIndex >= 0 ? { bodyPointer: pointer('paths', path, method, 'parameters', String(bodyIndex), 'schema') } : {}),
          });
        }
      }
    }
    const schema = (rel: string) => this.ajv.compile(readSpec(rel) as object);
    this.listingsFeed = schema('schemas/feeds/listings-feed-schema-v2.json');
    this.listingsFeedMessage = schema('schemas/feeds/listings-feed-message-schema-v2.json');
    this.processingReport = schema('schemas/feeds/listings-feed-processing-report-schema-v2.json');
    this.orderChangeNotification = schema('schemas/notifications/OrderChangeNotification.json');
  }

  /** The operation a request is for, with its path parameters. */
  match(method: string, path: string): { op: OperationSpec; pathParams: Record<string, string> } | null {
    for (const op of this.operations.values()) {
      if (op.method !== method) continue;
      const m = op.regex.exec(path);
      if (!m) continue;
      const pathParams: Record<string, string> = {};
      op.pathParams.forEach((n, i) => (pathParams[n] = decodeURIComponent(m[i + 1] as string)));
      return { op, pathParams };
    }
    return null;
  }

  /**
   * Problems of a response body against the model's schema for that operation and status; [] when it
   * validates. A status the model does not list is itself a problem.
   */
  check(operationId: string, status: number, body: unknown): string[] {
    const op = this.operations.get(operationId);
    if (!op) return [`${operationId}: unknown operation`];
    if (!op.responses.has(status)) return [`${operationId}: status ${status} is not in the model`];
    const ptr = op.responses.get(status);
    if (!ptr) {
      const empty = body === undefined || body === null || body === '' || (typeof body === 'object' && Object.keys(body).length === 0);
      return empty ? [] : [`${operationId} ${status}: the model has no body for this status`];
    }
    const v = this.#compiled(`sp:${op.model}${ptr}`);
    if (v(body)) return [];
    return (v.errors ?? []).slice(0, 5).map((e) => `${operationId} ${status}: ${e.instancePath || '/'} ${e.message ?? ''}`);
  }

  /** Problems of a request body against the operation's body parameter schema. */
  checkBody(operationId: string, body: unknown): string[] {
    const op = this.operations.get(operationId);
    if (!op?.bodyPointer) return [];
    const v = this.#compiled(`sp:${op.model}${op.bodyPointer}`);
    if (v(body)) return [];
    return (v.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || 'body'} ${e.message ?? ''}`.trim());
  }

  /** A definition's validator, e.g. definition('orders', 'Order'). */
  definition(model: ModelKey, name: string): ValidateFunction {
    return this.#compiled(`sp:${model}#/definitions/${name}`);
  }

  #compiled(id: string): ValidateFunction {
    let v = this.#validators.get(id);
    if (!v) {
      v = this.ajv.compile({ $ref: id });
      this.#validators.set(id, v);
    }
    return v;
  }
}

let loaded: SpModels | undefined;
/** The models, loaded on first use and shared by every simulator in the process. */
export function spModels(): SpModels {
  loaded ??= new SpModels();
  return loaded;
}

export function ajvErrors(v: ValidateFunction): string {
  return (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ');
}

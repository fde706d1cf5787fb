// HTTP clients for the API under test: REST `GET /v1/orders` and the GraphQL orders page, over Node's
// fetch (undici, keep-alive). The client shares this process with the server, so the measured path keeps
// its own work small: it reads the whole body as bytes and finds the cursor and the row count in them
// without decoding or parsing the page. A full check of each page's shape runs during warm-up.
import type { PageFetcher } from './measure.ts';

export const GRAPHQL_QUERY = `query($after:String){ orders(first:100, after:$after){ pageInfo{hasNextPage endCursor} nodes{ id order_number status totals{ total{ amount currency } } lines{ sku quantity unit_price{amount currency} product{ id title variants{ sku inventory{ available location_id } } } } shipments{ id tracking_number carrier } customer{ id email } } } }`;

/**
 * The same page for a schema whose order `customer` is the canonical CustomerRef (customer_id, email, name)
 * with the stored customer under `record`: tried when the schema rejects `customer{ id email }`.
 */
export const GRAPHQL_QUERY_CUSTOMER_REF = GRAPHQL_QUERY.replace('customer{ id email }', 'customer{ customer_id email record{ id email } }');

/** A query that walks the same list without its nested data, to find cursors deep in it. */
export const GRAPHQL_CURSOR_QUERY = `query($after:String){ orders(first:100, after:$after){ pageInfo{hasNextPage endCursor} nodes{ id } } }`;

/** The JSON string or null that follows `"key":` in `body` (the first occurrence, or the last when `last`). */
function jsonStringAfter(body: Buffer, key: string, last: boolean): string | null | undefined {
  const needle = `"${key}":`;
  const at = last ? body.lastIndexOf(needle) : body.indexOf(needle);
  if (at < 0) return undefined;
  const start = at + needle.length;
  if (body.toString('latin1', start, start + 4) === 'null') return null;
  if (body[start] !== 0x22) return undefined;
  const end = body.indexOf(0x22, start + 1);
  return JSON.parse(body.toString('utf8', start, end + 1)) as string;
}

function countOf(body: Buffer, needle: string): number {
  let n = 0;
  for (let at = body.indexOf(needle); at >= 0; at = body.indexOf(needle, at + needle.length)) n++;
  return n;
}

async function bytes(res: Response): Promise<Buffer> {
  return Buffer.from(await res.arrayBuffer());
}

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export function restPager(base: string, apiKey: string, limit: number): PageFetcher<string> & { check(cursor: string | null): Promise<unknown[]> } {
  const headers = { authorization: `Bearer ${apiKey}` };
  const get = async (cursor: string | null): Promise<Buffer> => {
    const url = `${base}/v1/orders?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await fetch(url, { headers });
    const body = await bytes(res);
    if (res.status !== 200) throw new HttpError(res.status, `GET /v1/orders answered ${res.status}: ${body.toString('utf8', 0, 300)}`);
    return body;
  };
  const fetchPage = async (cursor: string | null) => {
    const body = await get(cursor);
    const next = jsonStringAfter(body, 'next_cursor', true);
    if (next === undefined) throw new Error('GET /v1/orders: no next_cursor in the body');
    return { next, rows: countOf(body, '"order_number":') };
  };
  return Object.assign(fetchPage, {
    async check(cursor: string | null) {
      const body = JSON.parse((await get(cursor)).toString('utf8')) as { data: { id: string; lines: unknown[] }[]; next_cursor: string | null };
      if (!Array.isArray(body.data) || body.data.length !== limit) throw new Error(`GET /v1/orders: expected ${limit} orders, got ${body.data?.length}`);
      if (body.data.some((o) => !Array.isArray(o.lines) || o.lines.length !== 3)) throw new Error('GET /v1/orders: an order without its 3 lines');
      return body.data;
    },
  });
}

interface GraphqlPage {
  data?: { orders?: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: { id: string; lines?: { product?: unknown }[]; shipments?: unknown[]; customer?: unknown }[] } };
  errors?: { message: string }[];
}

export function graphqlPager(base: string, apiKey: string, query: string): PageFetcher<string> & { check(cursor: string | null): Promise<GraphqlPage> } {
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', accept: 'application/json' };
  const post = async (cursor: string | null): Promise<Buffer> => {
    const res = await fetch(`${base}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables: { after: cursor } }) });
    const body = await bytes(res);
    if (res.status !== 200) throw new HttpError(res.status, `POST /graphql answered ${res.status}: ${body.toString('utf8', 0, 300)}`);
    return body;
  };
  const fetchPage = async (cursor: string | null) => {
    const body = await post(cursor);
    if (body.includes('"errors":')) throw new Error(`POST /graphql: ${body.toString('utf8', 0, 500)}`);
    const end = jsonStringAfter(body, 'endCursor', false);
    const more = body.includes('"hasNextPage":true');
    if (end === undefined) throw new Error('POST /graphql: no pageInfo.endCursor in the body');
    return { next: more ? end : null, rows: countOf(body, query === GRAPHQL_CURSOR_QUERY ? '"id":' : '"order_number":') };
  };
  return Object.assign(fetchPage, {
    async check(cursor: string | null) {
      return JSON.parse((await post(cursor)).toString('utf8')) as GraphqlPage;
    },
  });
}

/** Why a GraphQL page is not what the bench asks for, or null when it is. */
export function graphqlProblem(page: GraphqlPage, limit: number): string | null {
  if (page.errors?.length) return page.errors.map((e) => e.message).join('; ');
  const nodes = page.data?.orders?.nodes;
  if (!Array.isArray(nodes)) return 'no data.orders.nodes in the answer';
  if (nodes.length !== limit) return `expected ${limit} orders, got ${nodes.length}`;
  if (nodes.some((n) => !Array.isArray(n.lines) || n.lines.length !== 3 || n.lines.some((l) => !l.product))) return 'an order without its 3 lines and their products';
  if (!nodes.some((n) => Array.isArray(n.shipments) && n.shipments.length > 0)) return 'no order of the page has its shipment';
  return null;
}

// Test helper: one Admin GraphQL call to the simulator, answered as status + parsed JSON.
import type { GraphQLAnswer } from './execute.ts';
import type { ShopifySim } from './server.ts';

export async function gql(sim: ShopifySim, query: string, variables?: Record<string, unknown>, token: string | null = sim.accessToken): Promise<{ status: number; body: GraphQLAnswer & Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers['x-shopify-access-token'] = token;
  const r = await fetch(sim.graphqlUrl, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return { status: r.status, body: (await r.json()) as GraphQLAnswer & Record<string, unknown> };
}

/** The data of a call that must succeed (throws with the errors otherwise). */
export async function data<T = Record<string, any>>(sim: ShopifySim, query: string, variables?: Record<string, unknown>): Promise<T> {
  const { status, body } = await gql(sim, query, variables);
  if (status !== 200 || body.errors?.length) throw new Error(`${status} ${JSON.stringify(body.errors ?? body)}`);
  return body.data as T;
}

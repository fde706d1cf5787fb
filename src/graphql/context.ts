// What a GraphQL request carries: the caller's tenant (from the API key, set by the Hono auth
// middleware), the request's logger, and loaders built for this request alone.
import type { YogaInitialContext } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Loaders } from './loaders.ts';

/** Handed to Yoga by the Hono route for each request. */
export interface GraphqlServerContext {
  tenantId: string;
  log: Logger;
}

/** Built by Yoga's context factory for each request. */
export interface GraphqlUserContext {
  loaders: Loaders;
}

export type GraphqlContext = YogaInitialContext & GraphqlServerContext & GraphqlUserContext;

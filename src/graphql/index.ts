// GraphQL at /graphql: graphql-yoga inside the Hono app, behind the same API-key middleware as /v1
// (the tenant comes from the Hono context), GraphiQL on GET from a browser.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { createSchema, createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { AppEnv } from '../api/context.ts';
import type { ApiDeps } from '../api/deps.ts';
import type { GraphqlContext, GraphqlServerContext, GraphqlUserContext } from './context.ts';
import { maskError, yogaLogger } from './errors.ts';
import { DEFAULT_LIMITS, useQueryLimits, type QueryLimits } from './limits.ts';
import { createLoaders } from './loaders.ts';
import { mutationResolvers, mutationTypeDefs } from './mutations.ts';
import { createResolvers } from './resolvers.ts';
import { typeDefs } from './schema.ts';

export const GRAPHQL_PATH = '/graphql';

const DEFAULT_QUERY = `# Switchyard GraphQL. Every request needs an API key: add
#   { "Authorization": "Bearer <your API key>" }
# in the Headers tab below.
{
  orders(first: 10) {
    nodes {
      order_number
      status
      totals { total { amount currency } }
      lines { sku quantity product { title variants { sku inventory { location_id available } } } }
      shipments { carrier tracking_number }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`;

export interface GraphqlOptions {
  limits?: QueryLimits;
}

export type GraphqlServer = YogaServerInstance<GraphqlServerContext, GraphqlUserContext>;

export function createGraphqlServer(deps: Pick<ApiDeps, 'db' | 'log'> & Partial<Pick<ApiDeps, 'engine'>>, options: GraphqlOptions = {}): GraphqlServer {
  // The writes need the sync engine; a read-only server (tests of the read side) has no mutations.
  const schema = deps.engine
    ? createSchema<GraphqlContext>({ typeDefs: [typeDefs, mutationTypeDefs], resolvers: [createResolvers(deps.db), mutationResolvers(deps.engine)] })
    : createSchema<GraphqlContext>({ typeDefs, resolvers: createResolvers(deps.db) });
  return createYoga<GraphqlServerContext, GraphqlUserContext>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    context: ({ tenantId }) => {
      if (!tenantId) throw new Error('a GraphQL request reached Yoga without a tenant');
      return { loaders: createLoaders(deps.db, tenantId) };
    },
    plugins: [useQueryLimits(options.limits ?? DEFAULT_LIMITS)],
    // The cost rule reads the request's variables, so a validation result cannot be reused across requests.
    parserAndValidationCache: { validationCache: false },
    maskedErrors: { maskError },
    logging: yogaLogger(deps.log),
    cors: false,
    landingPage: false,
    graphiql: { title: 'Switchyard GraphQL', defaultQuery: DEFAULT_QUERY },
  });
}

export function mountGraphql(app: OpenAPIHono<AppEnv>, deps: ApiDeps): void {
  const yoga = createGraphqlServer(deps);
  app.on(['GET', 'POST'], GRAPHQL_PATH, (c) => yoga.fetch(c.req.raw, { tenantId: c.get('tenantId'), log: c.get('log') }));
}

// GraphQL at /graphql (placeholder until the schema lands in this folder).
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../api/context.ts';
import type { ApiDeps } from '../api/deps.ts';

export function mountGraphql(_app: OpenAPIHono<AppEnv>, _deps: ApiDeps): void {}

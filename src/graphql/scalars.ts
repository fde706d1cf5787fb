// Custom scalars: DateTime (ISO 8601 strings, as everywhere in the API) and JSON (attribute bags,
// option maps, channel settings).
import { GraphQLError, GraphQLScalarType, Kind, valueFromASTUntyped } from 'graphql';
import { z } from 'zod';

/** Same rule as the REST filters: a date-time with an offset, or a plain date. */
const DateInput = z.iso.datetime({ offset: true }).or(z.iso.date());

function parseDateTime(value: unknown): string {
  const parsed = DateInput.safeParse(value);
  if (!parsed.success) {
    throw new GraphQLError('DateTime must be an ISO 8601 date-time with an offset (2026-01-31T12:00:00Z) or a date (2026-01-31).', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return parsed.data;
}

export const DateTimeScalar = new GraphQLScalarType<string, string>({
  name: 'DateTime',
  description: 'ISO 8601 date-time, UTC in responses. Filters also accept a date (YYYY-MM-DD).',
  serialize(value) {
    if (typeof value === 'string') return value;
    if (value instanceof Date) return value.toISOString();
    throw new GraphQLError('DateTime cannot represent a non-date value');
  },
  parseValue: parseDateTime,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be a string', { nodes: [ast], extensions: { code: 'BAD_USER_INPUT' } });
    return parseDateTime(ast.value);
  },
});

export const JSONScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  description: 'Any JSON value: attribute bags, option maps, channel settings.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
});

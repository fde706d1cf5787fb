// The shape of the generated method table (spec.generated.ts).
export type ParamType = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object';
/** [name, type, required (1/0), default?] */
export type ParamSpec = [string, ParamType, 0 | 1, unknown?];

export interface MethodSpec {
  verbs: string[];
  /** Whether the document asks for a store key (StoreKeyAuth) besides the API key. */
  store: boolean;
  /** Where the parameters travel: the query string, or a JSON body. */
  transport: 'query' | 'body';
  params?: ParamSpec[];
}

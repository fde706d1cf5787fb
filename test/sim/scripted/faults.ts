// Fault switches of the scripted upstream, flipped at runtime by tests: bursts of 429/500/503, hangs,
// dropped connections, malformed bodies, expired tokens, and writes that take effect but never answer.
// Probabilistic faults draw from a seeded PRNG, so a failing run can be replayed.
import { WRITE_ROUTES, type RouteName, type SimState } from './state.ts';

export type FaultKind = 'throttle' | 'error500' | 'error503' | 'hang' | 'drop' | 'malformed' | 'fail_after_effect';

/** Faults that answer instead of the route (hang delays, then lets the request through). */
const BEFORE: ReadonlySet<FaultKind> = new Set(['throttle', 'error500', 'error503', 'hang', 'drop']);

export interface FaultRule {
  kind: FaultKind;
  /** How many matching requests it hits before it is spent (default 1; Infinity: until cleared). */
  times?: number;
  /** Hits a matching request with this probability, drawn from the seeded PRNG (default 1). */
  probability?: number;
  /** Only requests to these routes (default: all; fail_after_effect only ever hits writes). */
  routes?: readonly RouteName[];
  /** hang: how long the request hangs before it is handled (default 30 s). */
  ms?: number;
  /** throttle: the retry-after seconds sent (default 1). */
  retryAfterSec?: number;
}

export type FaultOptions = Omit<FaultRule, 'kind' | 'times' | 'probability'>;

/** A small seeded PRNG (mulberry32): the same seed gives the same fault sequence. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The switches. Rules are checked in the order they were added; the first live one that matches a
 * request fires (at most one before the handler and one after it).
 * @example
 * sim.faults.error503Next(2, { routes: ['orders.list'] });
 * sim.faults.errorRate(500, 0.2);             // 20% of all requests, until cleared
 * sim.faults.failAfterEffectNext(1);           // next write applies, then the connection drops
 */
export class Faults {
  readonly #rules: (FaultRule & { left: number })[] = [];
  #random: () => number;
  /** How often each kind fired. */
  readonly fired: Record<FaultKind, number> = { throttle: 0, error500: 0, error503: 0, hang: 0, drop: 0, malformed: 0, fail_after_effect: 0 };

  readonly #state: SimState;

  constructor(state: SimState, seed = 1) {
    this.#state = state;
    this.#random = prng(seed);
  }

  add(rule: FaultRule): this {
    const left = rule.times ?? 1;
    if (!(left > 0)) throw new Error('a fault rule needs times > 0');
    if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) throw new Error('probability must be within [0, 1]');
    this.#rules.push({ ...rule, left });
    return this;
  }

  /** Answers the next n matching requests with 429. */
  throttleNext(n: number, options: FaultOptions = {}): this {
    return this.add({ ...options, kind: 'throttle', times: n });
  }

  error500Next(n: number, options: FaultOptions = {}): this {
    return this.add({ ...options, kind: 'error500', times: n });
  }

  error503Next(n: number, options: FaultOptions = {}): this {
    return this.add({ ...options, kind: 'error503', times: n });
  }

  /** Fails each matching request with `status` at `probability`, until cleared. */
  errorRate(status: 500 | 503, probability: number, options: FaultOptions = {}): this {
    return this.add({ ...options, kind: status === 500 ? 'error500' : 'error503', times: Infinity, probability });
  }

  /** The next n matching requests hang for `ms` before being handled (writes still take effect). */
  hangNext(n: number, ms: number, options: FaultOptions = {}): this {
    return this.add({ ...options, kind: 'hang', times: n, ms });
  }

  /** The next n matching requests have their connection destroyed, unanswered and unhandled. */
  dropNext(n: number, options: FaultOptions = {}): this {
    return this.add({ ...options, kind: 'drop', times: n });
  }

  /** The next n matching requests are handled but answered 200 with a truncated JSON body. */
  malformedNext(n: number, options: FaultOptions = {}): this {
    return this.add({ ...options, kind: 'malformed', times: n });
  }

  /** The next n matching writes take effect, then their connection drops before the answer. */
  failAfterEffectNext(n: number, options: FaultOptions = {}): this {
    return this.add({ ...options, kind: 'fail_after_effect', times: n });
  }

  /** Every token issued so far is expired from now on (the next bearer request gets 401 token_expired). */
  expireTokens(): this {
    for (const t of this.#state.tokens.values()) t.expiresAt = Math.min(t.expiresAt, this.#state.clock() - 1);
    return this;
  }

  /** Restarts the PRNG (same seed, same sequence). */
  reseed(seed: number): this {
    this.#random = prng(seed);
    return this;
  }

  /** Removes every rule. */
  clear(): this {
    this.#rules.length = 0;
    return this;
  }

  /** Rules still live, with the hits they have left. */
  get pending(): readonly (FaultRule & { left: number })[] {
    return this.#rules;
  }

  /** The fault, if any, that hits this request at this phase; spends one hit of it. */
  pick(route: RouteName, phase: 'before' | 'after'): FaultRule | null {
    for (let i = 0; i < this.#rules.length; i++) {
      const rule = this.#rules[i]!;
      if (BEFORE.has(rule.kind) !== (phase === 'before')) continue;
      if (rule.kind === 'fail_after_effect' && !WRITE_ROUTES.has(route)) continue;
      if (rule.routes && !rule.routes.includes(route)) continue;
      if (rule.probability !== undefined && this.#random() >= rule.probability) continue;
      rule.left -= 1;
      if (rule.left <= 0) this.#rules.splice(i, 1);
      this.fired[rule.kind] += 1;
      return rule;
    }
    return null;
  }
}

// Fault switches of the Magento simulator, flipped at runtime by tests.
export type FaultKind = 'error500' | 'error503' | 'timeout' | 'drop' | 'malformed' | 'lose_answer';

interface Rule {
  kind: FaultKind;
  left: number;
  pathContains?: string;
}

export class MagentoFaults {
  #rules: Rule[] = [];
  latencyMs = 0;
  repeatLastPageOn = true;
  duplicateAcrossPagesOn = false;
  readonly fired: Record<FaultKind, number> = { error500: 0, error503: 0, timeout: 0, drop: 0, malformed: 0, lose_answer: 0 };
  #expire: () => void;

  constructor(expire: () => void) {
    this.#expire = expire;
  }

  /** Every answer waits `ms` first. */
  latency(ms: number): void {
    this.latencyMs = ms;
  }
  /** The next n requests (whose path contains `pathContains`, if given) answer 500 (masked report) or 503. */
  failNext(status: 500 | 503, n: number, pathContains?: string): void {
    this.#rules.push({ kind: status === 500 ? 'error500' : 'error503', left: n, ...(pathContains ? { pathContains } : {}) });
  }
  /** The next n requests hang (never answered until the client gives up or the simulator stops). */
  timeoutNext(n: number, pathContains?: string): void {
    this.#rules.push({ kind: 'timeout', left: n, ...(pathContains ? { pathContains } : {}) });
  }
  /** The next n requests have their socket destroyed before any answer. */
  dropNext(n: number, pathContains?: string): void {
    this.#rules.push({ kind: 'drop', left: n, ...(pathContains ? { pathContains } : {}) });
  }
  /** The next n requests are handled and answered 200 with truncated JSON. */
  malformedNext(n: number, pathContains?: string): void {
    this.#rules.push({ kind: 'malformed', left: n, ...(pathContains ? { pathContains } : {}) });
  }
  /** The next n requests are handled (writes take effect), then their socket is destroyed before the answer. */
  loseAnswerNext(n: number, pathContains?: string): void {
    this.#rules.push({ kind: 'lose_answer', left: n, ...(pathContains ? { pathContains } : {}) });
  }
  /** Every admin token issued so far (and the preset bearer) answers 401 from now on. */
  expireTokens(): void {
    this.#expire();
  }
  /** On (default, as Magento): a currentPage past the end answers the last page again. Off: an empty page. */
  repeatLastPage(on: boolean): void {
    this.repeatLastPageOn = on;
  }
  /** On: every page after the first starts with the last row of the page before it. */
  duplicateAcrossPages(on: boolean): void {
    this.duplicateAcrossPagesOn = on;
  }
  /** Everything off, except the default repeat-last-page behaviour (which is back on). */
  clear(): void {
    this.#rules = [];
    this.latencyMs = 0;
    this.repeatLastPageOn = true;
    this.duplicateAcrossPagesOn = false;
  }
  get pending(): readonly Rule[] {
    return this.#rules;
  }
  /**
   * The fault hitting a request, given as `METHOD /V1/path` (so `pathContains` may name a method too, e.g.
   * 'POST /V1/orders'); a request spends one hit of the first matching rule.
   */
  pick(path: string, kinds: readonly FaultKind[]): FaultKind | null {
    for (let i = 0; i < this.#rules.length; i++) {
      const r = this.#rules[i]!;
      if (!kinds.includes(r.kind)) continue;
      if (r.pathContains && !path.includes(r.pathContains)) continue;
      r.left -= 1;
      if (r.left <= 0) this.#rules.splice(i, 1);
      this.fired[r.kind] += 1;
      return r.kind;
    }
    return null;
  }
}

// The adapter registry: channels by name, each with its factory and manifest. The core resolves adapters
// here and never names a channel; which channels a process serves is decided by whoever builds the
// registry (the shipped list is src/adapters/registry.ts, tests build their own).
import { CAPABILITIES, type AdapterFactory } from './ports.ts';

export class AdapterRegistry {
  readonly #factories = new Map<string, AdapterFactory>();

  constructor(factories: readonly AdapterFactory[] = []) {
    for (const f of factories) this.register(f);
  }

  /** Adds a channel; the manifest is checked here so a bad adapter fails at start, not at first use. */
  register<S, C>(factory: AdapterFactory<S, C>): this {
    const { channel, capabilities } = factory.manifest;
    if (!/^[a-z][a-z0-9_]{1,31}$/.test(channel)) throw new Error(`adapter channel name "${channel}" is not valid`);
    if (this.#factories.has(channel)) throw new Error(`adapter for "${channel}" is registered twice`);
    for (const cap of capabilities) {
      if (!(CAPABILITIES as readonly string[]).includes(cap)) throw new Error(`adapter "${channel}" declares unknown capability "${cap}"`);
    }
    this.#factories.set(channel, factory as unknown as AdapterFactory);
    return this;
  }

  get(channel: string): AdapterFactory | undefined {
    return this.#factories.get(channel);
  }

  channels(): string[] {
    return [...this.#factories.keys()].sort();
  }
}

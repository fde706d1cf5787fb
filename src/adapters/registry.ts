// The adapter registry: the one place that names channels. Adding a channel is one line here plus
// its folder under src/adapters/<channel>/.
import { CAPABILITIES, type AdapterFactory } from '../core/ports.ts';
import { magentoAdapter } from './magento/index.ts';

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

/** The channels shipped with Switchyard. */
export function defaultRegistry(): AdapterRegistry {
  return new AdapterRegistry([magentoAdapter]);
}

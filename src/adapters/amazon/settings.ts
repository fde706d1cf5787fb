// What an Amazon connection is configured with (DESIGN.md: connection settings), as zod schemas.
import { z } from 'zod';
import { MARKETPLACES } from './marketplaces.ts';

export const AmazonSettings = z
  .object({
    /** The SP-API region; when absent, the region of the marketplaces. */
    region: z.enum(['na', 'eu', 'fe']).optional(),
    seller_id: z.string().min(1).max(64),
    marketplace_ids: z.array(z.string().min(1).max(32)).min(1).max(25),
    /** Overrides the regional SP-API host (sandbox, simulator). */
    endpoint: z.string().url().max(2048).optional(),
    /** Overrides the regional LWA token URL (full URL, e.g. https://api.amazon.com/auth/o2/token). */
    lwa_endpoint: z.string().url().max(2048).optional(),
    /** More items than this in one write go through a JSON_LISTINGS_FEED instead of single patches. */
    feed_threshold: z.number().int().min(1).max(10_000).default(20),
    /** How often a submitted feed is polled, and how long a write waits for it. */
    feed_poll_ms: z.number().int().min(10).max(600_000).default(30_000),
    feed_timeout_ms: z.number().int().min(1_000).max(7_200_000).default(1_800_000),
    timeout_ms: z.number().int().min(100).max(300_000).default(30_000),
    /** Where a full order pull starts (Amazon needs a lower bound). */
    orders_since: z.iso.datetime({ offset: true }).default('2020-01-01T00:00:00Z'),
  })
  .strict()
  .transform((s, ctx) => {
    // One connection talks to one regional host: every known marketplace must belong to its region.
    const region = s.region ?? s.marketplace_ids.map((id) => MARKETPLACES[id]?.region).find((r) => r !== undefined);
    if (!region) {
      ctx.addIssue({ code: 'custom', path: ['region'], message: 'region (na, eu or fe) is required when the marketplaces are not known ones' });
      return z.NEVER;
    }
    s.marketplace_ids.forEach((id, i) => {
      const m = MARKETPLACES[id];
      if (m && m.region !== region) ctx.addIssue({ code: 'custom', path: ['marketplace_ids', i], message: `marketplace ${id} (${m.country}) is served by region ${m.region}, not ${region}` });
    });
    return { ...s, region };
  });
export type AmazonSettings = z.output<typeof AmazonSettings>;

export const AmazonCredentials = z
  .object({
    client_id: z.string().min(1).max(512),
    client_secret: z.string().min(1).max(512),
    refresh_token: z.string().min(1).max(2048),
  })
  .strict();
export type AmazonCredentials = z.infer<typeof AmazonCredentials>;

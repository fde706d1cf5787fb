// JSON_LISTINGS_FEED (Feeds 2021-06-30): many listing changes in one submission. createFeedDocument,
// upload, createFeed, poll getFeed, then download (and gunzip) the processing report and map each of its
// issues back to the SKU of the message it is about.
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { AppError } from '../../core/errors.ts';
import type { BulkResult, ItemIssue } from '../../core/ports.ts';
import type { SpApiClient } from './client.ts';

const CONTENT_TYPE = 'application/json; charset=UTF-8';
/** Amazon takes at most 10,000 messages in one JSON_LISTINGS_FEED. */
export const MAX_FEED_MESSAGES = 10_000;

export type FeedMessage =
  | { sku: string; operationType: 'PATCH'; productType: string; patches: { op: string; path: string; value?: unknown[] }[] }
  | { sku: string; operationType: 'UPDATE'; productType: string; requirements: 'LISTING' | 'LISTING_OFFER_ONLY' | 'LISTING_PRODUCT_ONLY'; attributes: Record<string, unknown> }
  | { sku: string; operationType: 'PARTIAL_UPDATE'; productType: string; attributes: Record<string, unknown> };

const DocumentCreated = z.object({ feedDocumentId: z.string().min(1), url: z.string().min(1) });
const FeedCreated = z.object({ feedId: z.string().min(1) });
const Feed = z.object({ feedId: z.string(), processingStatus: z.enum(['CANCELLED', 'DONE', 'FATAL', 'IN_PROGRESS', 'IN_QUEUE']), resultFeedDocumentId: z.string().nullish() });
const Document = z.object({ feedDocumentId: z.string(), url: z.string().min(1), compressionAlgorithm: z.literal('GZIP').nullish() });
export const ProcessingReport = z.object({
  header: z.object({ feedId: z.string().nullish() }).passthrough().nullish(),
  issues: z
    .array(
      z.object({
        messageId: z.number().int().nullish(),
        sku: z.string().nullish(),
        code: z.string().nullish(),
        severity: z.enum(['ERROR', 'WARNING', 'INFO']),
        message: z.string(),
        attributeName: z.string().nullish(),
        attributeNames: z.array(z.string()).nullish(),
      }),
    )
    .default([]),
  summary: z.object({ errors: z.number().int(), warnings: z.number().int().nullish(), messagesProcessed: z.number().int(), messagesAccepted: z.number().int(), messagesInvalid: z.number().int() }).passthrough().nullish(),
});
export type ProcessingReport = z.infer<typeof ProcessingReport>;

function parse<T>(schema: z.ZodType<T>, op: string, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new AppError('upstream_unavailable', `amazon ${op} answered an unexpected body`);
  return r.data;
}

/**
 * Feeds per idempotency key in this process: a retried bulk write waits for the feed it submitted, or
 * gets the result it already had, instead of submitting another. (Across processes a retry submits
 * again: the messages set absolute values, so the outcome is the same.)
 */
const submitted = new Map<string, string>();
const finished = new Map<string, { at: number; result: BulkResult }>();
const FINISHED_TTL_MS = 60 * 60 * 1000;
const FINISHED_MAX = 1000;

function remember(key: string, result: BulkResult, now: number): void {
  finished.set(key, { at: now, result });
  for (const [k, v] of finished) {
    if (finished.size <= FINISHED_MAX && now - v.at < FINISHED_TTL_MS) break;
    finished.delete(k);
  }
}

/**
 * The report's issues against the SKUs of the feed's messages (by messageId, else the issue's own sku).
 * Issues that name no message (a malformed feed) apply to every SKU.
 */
export function mapReport(skus: string[], report: ProcessingReport): BulkResult {
  const issues: ItemIssue[] = [];
  const failed = new Set<string>();
  for (const i of report.issues) {
    if (i.severity === 'INFO') continue;
    const bySku = i.messageId !== null && i.messageId !== undefined ? skus[i.messageId - 1] : undefined;
    const targets = bySku ? [bySku] : i.sku ? [i.sku] : skus;
    for (const sku of targets) {
      issues.push({ sku, code: i.code ?? 'FEED', message: i.message, severity: i.severity === 'ERROR' ? 'error' : 'warning', attribute: i.attributeName ?? i.attributeNames?.[0] ?? null });
      if (i.severity === 'ERROR') failed.add(sku);
    }
  }
  return { accepted: skus.filter((s) => !failed.has(s)), issues };
}

export class Feeds {
  constructor(
    private readonly client: SpApiClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** Submits the messages (in feeds of at most 10,000) and waits for each report. */
  async submit(messages: FeedMessage[], idempotencyKey: string, marketplaceId: string): Promise<BulkResult> {
    const result: BulkResult = { accepted: [], issues: [], external_id: null };
    const ids: string[] = [];
    for (let start = 0, part = 0; start < messages.length; start += MAX_FEED_MESSAGES, part++) {
      const chunk = messages.slice(start, start + MAX_FEED_MESSAGES);
      const r = await this.#one(chunk, `${idempotencyKey}#${part}`, marketplaceId);
      result.accepted.push(...r.accepted);
      result.issues.push(...r.issues);
      if (r.external_id) ids.push(r.external_id);
    }
    result.external_id = ids.join(',') || null;
    return result;
  }

  async #one(messages: FeedMessage[], key: string, marketplaceId: string): Promise<BulkResult> {
    const skus = messages.map((m) => m.sku);
    const had = finished.get(key);
    if (had && this.now() - had.at < FINISHED_TTL_MS) return had.result;
    let feedId = submitted.get(key);
    if (!feedId) {
      const doc = parse(DocumentCreated, 'createFeedDocument', await this.client.call({ op: 'createFeedDocument', method: 'POST', path: '/feeds/2021-06-30/documents', body: { contentType: CONTENT_TYPE } }));
      const s = this.client.ctx.settings;
      const feed = {
        header: { sellerId: s.seller_id, version: '2.0', issueLocale: 'en_US' },
        messages: messages.map((m, i) => ({ messageId: i + 1, ...m })),
      };
      await this.client.transfer('uploadFeedDocument', doc.url, { method: 'PUT', body: JSON.stringify(feed), contentType: CONTENT_TYPE });
      const created = parse(
        FeedCreated,
        'createFeed',
        await this.client.call({ op: 'createFeed', method: 'POST', path: '/feeds/2021-06-30/feeds', body: { feedType: 'JSON_LISTINGS_FEED', marketplaceIds: [marketplaceId], inputFeedDocumentId: doc.feedDocumentId } }),
      );
      feedId = created.feedId;
      submitted.set(key, feedId);
      this.client.ctx.log?.info({ feed_id: feedId, messages: messages.length }, 'amazon feed submitted');
    }
    const feed = await this.#wait(feedId);
    if (feed.processingStatus === 'CANCELLED') throw new AppError('upstream_rejected', `amazon feed ${feedId} was cancelled`, { retriable: false });
    if (!feed.resultFeedDocumentId) {
      if (feed.processingStatus === 'FATAL') throw new AppError('upstream_rejected', `amazon feed ${feedId} failed (FATAL) without a processing report`, { retriable: false });
      throw new AppError('upstream_unavailable', `amazon feed ${feedId} is DONE but names no processing report`);
    }
    const report = await this.report(feed.resultFeedDocumentId);
    const result = { ...mapReport(skus, report), external_id: feedId };
    remember(key, result, this.now());
    submitted.delete(key);
    return result;
  }

  async #wait(feedId: string): Promise<z.infer<typeof Feed>> {
    const s = this.client.ctx.settings;
    const deadline = this.now() + s.feed_timeout_ms;
    for (let delay = Math.min(s.feed_poll_ms, 1000); ; delay = Math.min(delay * 2, s.feed_poll_ms)) {
      const feed = parse(Feed, 'getFeed', await this.client.call({ op: 'getFeed', method: 'GET', path: `/feeds/2021-06-30/feeds/${encodeURIComponent(feedId)}` }));
      if (feed.processingStatus === 'DONE' || feed.processingStatus === 'FATAL' || feed.processingStatus === 'CANCELLED') return feed;
      if (this.now() + delay > deadline) throw new AppError('upstream_unavailable', `amazon feed ${feedId} is still ${feed.processingStatus} after ${s.feed_timeout_ms} ms`, { retryAfterMs: s.feed_poll_ms });
      await sleep(delay);
    }
  }

  /** Downloads a processing report (gunzipped when Amazon says GZIP). */
  async report(documentId: string): Promise<ProcessingReport> {
    const doc = parse(Document, 'getFeedDocument', await this.client.call({ op: 'getFeedDocument', method: 'GET', path: `/feeds/2021-06-30/documents/${encodeURIComponent(documentId)}` }));
    let bytes = await this.client.transfer('downloadDocument', doc.url, { method: 'GET' });
    if (doc.compressionAlgorithm === 'GZIP') {
      try {
        bytes = gunzipSync(bytes);
      } catch (err) {
        throw new AppError('upstream_unavailable', `amazon processing report ${documentId} is not valid gzip`, { cause: err });
      }
    }
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch (err) {
      throw new AppError('upstream_unavailable', `amazon processing report ${documentId} is not JSON`, { cause: err });
    }
    return parse(ProcessingReport, 'getFeedDocument', json);
  }
}

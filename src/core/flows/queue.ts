// Queueing a link's runs: one job queue per link, so runs of one link never overlap. Used by the runner
// and by whoever changes a link (the flow service, the API's run-now route).
import type { Db } from '../../store/db.ts';
import type { LinkRow } from '../../store/flows.ts';
import { enqueueJob } from '../../store/jobs.ts';

export const FLOW_TASK = 'flow';

export const flowQueue = (linkId: string): string => `flow:${linkId}`;

/** Queues a run soon: triggers within the debounce share one run. */
export async function triggerFlow(db: Db, link: Pick<LinkRow, 'id' | 'options'>, delayMs?: number): Promise<void> {
  const debounce = delayMs ?? Number((link.options as { debounce_ms?: number }).debounce_ms ?? 500);
  await enqueueJob(db, FLOW_TASK, { link_id: link.id }, { queue: flowQueue(link.id), key: `flow:${link.id}:now`, keyMode: 'preserve_run_at', runAt: new Date(Date.now() + debounce), maxAttempts: 5 });
}

/** The link's next regular run. */
export async function scheduleFlowTick(db: Db, link: Pick<LinkRow, 'id' | 'interval_sec'>): Promise<void> {
  await enqueueJob(db, FLOW_TASK, { link_id: link.id }, { queue: flowQueue(link.id), key: `flow:${link.id}:tick`, keyMode: 'replace', runAt: new Date(Date.now() + link.interval_sec * 1000), maxAttempts: 5 });
}

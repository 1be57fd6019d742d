import { Command, InvalidArgumentError } from 'commander';
import type { Config } from '../config/env.js';
import { EfaError } from '../core/errors.js';
import type { Database } from '../storage/db.js';

interface Deps {
  config(): Config;
  fail(err: unknown): never;
}

function int(name: string, min: number, max: number) {
  return (raw: string): number => {
    if (!/^[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    return Number(raw);
  };
}

/**
 * The database, and the queue when REDIS_URL is set, so a redelivery is handed to the workers at
 * once; without Redis the running `efa serve`/`efa start` picks it up from the outbox.
 */
async function withDelivery<T>(cfg: Config, fn: (db: Database, dispatch: (id: string) => Promise<void>) => Promise<T>): Promise<T> {
  const [{ openDatabase, databaseTimeouts }, { DeliveryQueue }, { handOver }] = await Promise.all([import('../storage/db.js'), import('../delivery/queue.js'), import('../delivery/relay.js')]);
  const db = await openDatabase({ databaseUrl: cfg.databaseUrl, dataDir: cfg.dataDir, poolSize: 2, timeouts: databaseTimeouts(cfg.ops) });
  const queue = cfg.redisUrl ? new DeliveryQueue(cfg.redisUrl, cfg.delivery) : undefined;
  const dispatch = async (id: string) => {
    if (queue) await handOver(db, queue, id);
  };
  try {
    return await fn(db, dispatch);
  } finally {
    await queue?.close();
    await db.close();
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

/** `efa deliveries …`: list (dead letters with --status failed), show with attempts, redeliver. */
export function deliveriesCommand(deps: Deps): Command {
  const cmd = new Command('deliveries').description('delivery state of submissions: dead letters, attempts, redelivery (works on DATABASE_URL directly)');

  cmd.command('list')
    .description('submissions newest first; --status failed is the dead-letter list')
    .option('--status <status>', 'submitted | delivered | failed | accepted | rejected')
    .option('--authority <id>', 'only this authority')
    .option('--limit <n>', 'at most this many', int('--limit', 1, 10_000), 50)
    .option('--after <cursor>', 'continue after a previous page (the "next" it printed)')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { status?: string; authority?: string; limit: number; after?: string; json?: boolean }) => {
      const { STATUSES, listDeliveries } = await import('../delivery/admin.js');
      if (opts.status && !(STATUSES as readonly string[]).includes(opts.status)) deps.fail(new EfaError('EFA_USAGE', `--status must be one of ${STATUSES.join(', ')}`));
      await withDelivery(deps.config(), async (db) => {
        const page = await listDeliveries(db, { status: opts.status as never, authorityId: opts.authority, limit: opts.limit, ...(opts.after ? { after: opts.after } : {}) });
        if (opts.json) return console.log(JSON.stringify(page, null, 2));
        const { items, total, totalExact, next } = page;
        console.log(table([['ID', 'REFERENCE', 'STATUS', 'AUTHORITY', 'ATTEMPTS', 'UPDATED', 'LAST ERROR'], ...items.map((i) => [i.id, i.reference, i.status, i.authorityId, String(i.attempts), i.updatedAt, i.lastError ?? ''])]));
        console.log(`${items.length} of ${totalExact ? '' : 'at least '}${total}${next ? `; next page: --after ${next}` : ''}`);
      }).catch(deps.fail);
    });

  cmd.command('show')
    .description('one submission (id or reference) with every delivery attempt')
    .argument('<idOrReference>')
    .action(async (key: string) => {
      const { deliveryDetail } = await import('../delivery/admin.js');
      await withDelivery(deps.config(), async (db) => {
        const detail = await deliveryDetail(db, key);
        if (!detail) deps.fail(new EfaError('EFA_NOT_FOUND', `no submission with id or reference "${key}"`));
        const { attemptLog, ...rest } = detail;
        console.log(JSON.stringify({ ...rest, attempts: attemptLog }, null, 2));
      }).catch(deps.fail);
    });

  cmd.command('redeliver')
    .description('put dead letters (status failed) back into delivery with a fresh attempt budget')
    .argument('[ids...]', 'submission ids')
    .option('--all-failed', 'every failed submission')
    .option('--authority <id>', 'with --all-failed: only this authority')
    .action(async (ids: string[], opts: { allFailed?: boolean; authority?: string }) => {
      if ((ids.length > 0) === Boolean(opts.allFailed)) deps.fail(new EfaError('EFA_USAGE', 'give submission ids or --all-failed (not both)'));
      const { redeliverOne } = await import('../delivery/admin.js');
      await withDelivery(deps.config(), async (db, dispatch) => {
        const pending: Promise<void>[] = [];
        const hand = (id: string) => void pending.push(dispatch(id));
        if (opts.allFailed) {
          const job = await runRedeliverJob(db, hand, opts.authority);
          console.log(`redelivering ${job.done} submission(s) (job ${job.id})`);
        } else {
          let bad = 0;
          for (const id of ids) {
            const result = await redeliverOne(db, id, hand);
            if (result !== 'redelivered') bad++;
            console.log(`${id}: ${result}`);
          }
          if (bad > 0) process.exitCode = 1;
        }
        // Redis down: the relay of a running worker picks the entries up from the outbox.
        const results = await Promise.allSettled(pending);
        if (results.some((r) => r.status === 'rejected')) console.error('efa: the queue is unreachable now; the workers\' relay will enqueue these from the outbox');
      }).catch(deps.fail);
    });
  cmd.command('job')
    .description('progress of an operator job (e.g. the one POST /_efa/admin/deliveries/redeliver-failed started)')
    .argument('<id>')
    .action(async (id: string) => {
      const { findJob } = await import('../delivery/jobs.js');
      await withDelivery(deps.config(), async (db) => {
        const job = await findJob(db, id);
        if (!job) deps.fail(new EfaError('EFA_NOT_FOUND', `no job with id "${id}"`));
        console.log(JSON.stringify(job, null, 2));
      }).catch(deps.fail);
    });
  return cmd;
}

/**
 * --all-failed as the API does it, as an operator job, run here in batches with progress on
 * stderr. A worker that took the job first runs it instead; then this follows its progress.
 */
async function runRedeliverJob(db: Database, dispatch: (id: string) => void, authority?: string): Promise<import('../delivery/jobs.js').OperatorJob> {
  const { claimJob, createRedeliverJob, findJob, runJob } = await import('../delivery/jobs.js');
  const created = await createRedeliverJob(db, { ...(authority ? { authority } : {}), by: 'cli' });
  const progress = (job: { done: number; total: number | null }) => console.error(`efa: redelivered ${job.done} of ${job.total ?? '?'}`);
  const claim = await claimJob(db, 60_000, created.id);
  if (claim) return runJob(db, claim, { batch: 100, leaseMs: 60_000, dispatch, onProgress: progress });
  for (;;) {
    const job = await findJob(db, created.id);
    if (!job || job.status === 'done' || job.status === 'failed') {
      if (job?.status === 'failed') throw new EfaError('EFA_JOB_FAILED', `job ${job.id} failed: ${job.error ?? 'unknown error'}`);
      return job ?? created;
    }
    progress(job);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

// The limit for a delivery's worker: a bare BullMQ Worker (same concurrency and connection settings
// as efa worker) whose job makes one HTTP POST of BENCH_BYTES bytes to BENCH_SINK and reads the answer.
// Environment: REDIS_URL, BENCH_PREFIX, BENCH_QUEUE, BENCH_SINK, BENCH_BYTES, BENCH_CONCURRENCY.
/* global console, fetch */
import process from 'node:process';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const body = 'x'.repeat(Number(process.env.BENCH_BYTES));
const connection = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
const worker = new Worker(process.env.BENCH_QUEUE, async () => {
  const res = await fetch(process.env.BENCH_SINK, { method: 'POST', headers: { 'content-type': 'application/jose' }, body });
  await res.text();
  if (!res.ok) throw new Error(`sink answered ${res.status}`);
}, { connection, prefix: process.env.BENCH_PREFIX, concurrency: Number(process.env.BENCH_CONCURRENCY) });
await worker.waitUntilReady();
process.on('SIGTERM', () => { void worker.close().then(() => process.exit(0)); });
console.log('bare-job: ready');

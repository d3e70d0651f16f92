/**
 * Entry of the shadow worker thread (started by ShadowLink; never imported). It owns the mirror's
 * pools, the comparison recorder and its PostgreSQL pool; ShadowWorkerCore does the work.
 * Events go back in one message per event-loop turn; the recorder's queue depth rides along.
 */
import { readlinkSync } from 'node:fs';
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createPgPool, openTracing, type PgPool } from '@smp/platform';
import { ComparisonRecorder } from '../report/comparison-recorder.js';
import { MirrorClient } from './mirror-client.js';
import { forwardingLogger, ShadowWorkerCore } from './shadow-worker-core.js';
import type { FromWorker, FromWorkerBatch, ToWorkerBatch, WorkerInit } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('shadow-worker.js runs as a worker thread');
const init = workerData as WorkerInit;

/**
 * Lower this thread's priority (not the process's): on Linux, setpriority() given a thread id
 * applies to that thread only. Where that is unavailable the worker runs at normal priority.
 */
function lowerPriority(nice: number): string | null {
  if (nice <= 0) return null;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return 'no thread id';
    os.setPriority(tid, nice);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Minimum time between two event batches sent to the serving thread. */
const EVENT_GAP_MS = 10;

let events: FromWorker[] = [];
let scheduled = false;
let reportedQueue = 0;
let lastFlush = 0;
const flush = (): void => {
  scheduled = false;
  lastFlush = performance.now();
  reportedQueue = recorder?.depth ?? 0;
  const batch: FromWorkerBatch = { events, queued: reportedQueue };
  events = [];
  port.postMessage(batch);
};
const emit = (event: FromWorker): void => {
  events.push(event);
  if (!scheduled) {
    scheduled = true;
    // Events are not urgent (counts, samples, freed budget): at most one message per 10 ms.
    const wait = EVENT_GAP_MS - (performance.now() - lastFlush);
    if (wait <= 0) setImmediate(flush);
    else setTimeout(flush, Math.ceil(wait));
  }
};
const logger = forwardingLogger(emit);
const notNiced = lowerPriority(init.nice);
if (notNiced !== null) logger.info('shadow worker runs at normal priority', { reason: notNiced });

let schemaReady = false;
let pool: PgPool | null = null;
let recorder: ComparisonRecorder | null = null;
if (init.databaseUrl !== null) {
  pool = createPgPool(init.databaseUrl, logger, { max: 2, connectionTimeoutMillis: 2_000, statementTimeoutMillis: 10_000, applicationName: 'proxy-comparisons' });
  recorder = new ComparisonRecorder({
    pool,
    logger,
    maxQueue: init.recorder.maxQueue,
    batchSize: init.recorder.batchSize,
    flushMs: init.recorder.flushMs,
    ready: () => schemaReady,
    onDrop: (reason, count) => emit({ t: 'dropped', reason, count }),
    onWritten: (count) => emit({ t: 'written', count }),
  });
}
// The thread's own tracer provider: spans made here cannot reach the serving thread's.
const tracing = openTracing({ endpoint: init.tracing?.endpoint, service: init.tracing?.service ?? 'proxy' });
const core = new ShadowWorkerCore({ mirror: new MirrorClient(init.mirror, tracing.tracer), recorder, sampleBodyBytes: init.sampleBodyBytes, emit, latencyWarmupPairs: init.latencyWarmupPairs });

// Ready: the serving thread waits for this before it takes traffic.
flush();

// The queue depth changes as batches are written, without events: report it when it moved.
const depthReport = setInterval(() => {
  if (!scheduled && (recorder?.depth ?? 0) !== reportedQueue) flush();
}, 500);
depthReport.unref();

let closing = false;
port.on('message', (batch: ToWorkerBatch) => {
  if (closing) return;
  core.handle(batch.messages, batch.bytes);
  for (const m of batch.messages) {
    if (m.t === 'schema') schemaReady = m.ready;
    else if (m.t === 'flush') {
      const token = m.token;
      void (recorder?.flush() ?? Promise.resolve()).then(() => emit({ t: 'flushed', token }));
    }
    else if (m.t === 'close') closing = true;
  }
  if (!closing) return;
  void (async () => {
    clearInterval(depthReport);
    await core.close().catch((err: Error) => emit({ t: 'log', level: 'warn', message: 'shadow worker close failed', meta: { error: err.message } }));
    await pool?.end().catch(() => undefined);
    await tracing.close();
    const last: FromWorkerBatch = { events, queued: 0, closed: true };
    events = [];
    port.postMessage(last);
    port.close();
  })();
});

/**
 * Entry of the shadow worker thread (started by ShadowLink; never imported): thread plumbing only.
 * It builds the worker's parts from workerData — the mirror client (own pools), the comparison
 * recorder and the worker's one PostgreSQL pool — and hands every batch from the serving thread to
 * ShadowWorkerCore, the one dispatcher. Events go back batched (BatchScheduler, at most one message
 * per 10 ms); the recorder's queue depth rides along.
 */
import { readlinkSync } from 'node:fs';
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createPgPool, openTracing } from '@smp/platform';
import { ComparisonRecorder } from '../report/comparison-recorder.js';
import { BatchScheduler, type FromWorker, type FromWorkerBatch, type ToWorkerBatch, type WorkerInit } from '../shadow/worker-protocol.js';
import { EventLoopLag } from '../event-loop-lag.js';
import { MirrorClient } from './mirror-client.js';
import { forwardingLogger, ShadowWorkerCore } from './worker-core.js';

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

/** Minimum time between two event batches sent to the serving thread: events are not urgent. */
const EVENT_GAP_MS = 10;

let events: FromWorker[] = [];
let reportedQueue = 0;
const batches = new BatchScheduler(EVENT_GAP_MS, () => {
  reportedQueue = recorder?.depth ?? 0;
  const batch: FromWorkerBatch = { events, queued: reportedQueue };
  events = [];
  port.postMessage(batch);
});
const emit = (event: FromWorker): void => {
  events.push(event);
  batches.request();
};
const logger = forwardingLogger(emit);
const notNiced = lowerPriority(init.nice);
if (notNiced !== null) logger.info('shadow worker runs at normal priority', { reason: notNiced });

const pool = init.databaseUrl === null ? null : createPgPool(init.databaseUrl, logger, { max: 2, connectionTimeoutMillis: 2_000, statementTimeoutMillis: 10_000, applicationName: 'proxy-recorder' });
const recorder: ComparisonRecorder | null =
  pool === null
    ? null
    : new ComparisonRecorder({
        pool,
        logger,
        maxQueue: init.recorder.maxQueue,
        batchSize: init.recorder.batchSize,
        flushMs: init.recorder.flushMs,
        ready: (): boolean => core.recording,
        onDrop: (reason, count) => emit({ t: 'dropped', reason, count }),
        onWritten: (count) => emit({ t: 'written', count }),
      });

// The queue depth changes as batches are written, without events: report it when it moved.
const depthReport = setInterval(() => {
  if (!batches.pending && (recorder?.depth ?? 0) !== reportedQueue) batches.now();
}, 500);
depthReport.unref();

// The thread's own tracer provider: spans made here cannot reach the serving thread's.
const tracing = openTracing({ endpoint: init.tracing?.endpoint, service: init.tracing?.service ?? 'proxy' });
const lag = new EventLoopLag();
const core: ShadowWorkerCore = new ShadowWorkerCore({
  mirror: new MirrorClient(init.mirror, tracing.tracer),
  recorder,
  sampleBodyBytes: init.sampleBodyBytes,
  latencyWarmupPairs: init.latencyWarmupPairs,
  lag,
  emit,
  onClosed: () =>
    void (async () => {
      clearInterval(depthReport);
      lag.close();
      batches.cancel();
      await pool?.end().catch(() => undefined);
      await tracing.close();
      const last: FromWorkerBatch = { events, queued: 0, closed: true };
      events = [];
      port.postMessage(last);
      port.close();
    })(),
});

port.on('message', (batch: ToWorkerBatch) => core.handle(batch.messages, batch.bytes));

// Ready: the serving thread waits for this first batch before it takes traffic.
batches.now();

/**
 * A server run as a child process that must never outlive its parent (the embedded Unleash here,
 * the stack's PostgreSQL keeper in scripts/). Both halves of one small protocol over IPC:
 *
 *   parent: child = spawn(node, [entry], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'] })
 *           const ready = await requestStart(child, options, 30_000)   // {type:'start', options}
 *   child:  serveAsChild({ start: async (options) => ({ port }), stop: async () => … })
 *           // answers {type:'ready', port} or {type:'failed', error}
 *
 * The child stops (and exits) on SIGTERM/SIGINT and also when the parent goes away by any means:
 * its stdin or IPC channel closes, which happens even when the parent is SIGKILLed. Options travel
 * over IPC rather than argv or the environment, so secrets never show in `ps`.
 */
import type { ChildProcess } from 'node:child_process';

export type StartRequest<O> = { type: 'start'; options: O };
export type StartReport<R> = ({ type: 'ready' } & R) | { type: 'failed'; error: string };

/** Parent side: sends the options; resolves with the ready report, rejects on failure, exit or timeout. */
export function requestStart<O, R extends object>(child: ChildProcess, options: O, timeoutMs: number): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`not ready within ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code: number | null) => finish(new Error(`exited with code ${code} while starting`));
    const onMessage = (m: StartReport<R>) => {
      if (m.type === 'ready') {
        const { type: _type, ...report } = m;
        finish(undefined, report as unknown as R);
      } else finish(new Error(m.error));
    };
    function finish(err: Error | undefined, report?: R) {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('message', onMessage);
      if (err) reject(err);
      else resolve(report!);
    }
    child.on('exit', onExit);
    child.on('message', onMessage);
    child.send({ type: 'start', options } satisfies StartRequest<O>);
  });
}

export interface ChildServer<O, R extends object> {
  /** Starts with the parent's options; resolves with what the ready report carries. */
  start(options: O): Promise<R>;
  /** Releases everything; called once, whatever the reason. */
  stop(): Promise<void>;
}

/** Child side: waits for the start request, reports, and stops on a signal or when the parent goes. */
export function serveAsChild<O, R extends object>(server: ChildServer<O, R>): void {
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    const exit = () => process.exit(code);
    // Some libraries keep timers alive after they are closed: exit explicitly, and at the latest in 10 s.
    setTimeout(exit, 10_000).unref();
    server.stop().then(exit, exit);
  };
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));
  process.on('disconnect', () => stop(0));
  process.stdin.on('end', () => stop(0));
  process.stdin.on('error', () => stop(0));
  process.stdin.resume();
  process.once('message', (message: StartRequest<O>) => {
    server.start(message.options).then(
      (report) => {
        if (!stopping) process.send?.({ type: 'ready', ...report } satisfies StartReport<R>);
      },
      (err: Error) => {
        process.send?.({ type: 'failed', error: err.message } satisfies StartReport<R>);
        stop(1);
      },
    );
  });
}

/**
 * Parent side: asks the child to stop by closing its stdin (the cue it also gets when the parent
 * dies), waits up to `timeoutMs`, then SIGKILLs it (its whole process group when `group`, for a
 * detached child with children of its own). Resolves once it is gone.
 */
export async function stopChild(child: ChildProcess, timeoutMs: number, options: { group?: boolean; onKill?: () => void } = {}): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.end();
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([gone.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]);
  clearTimeout(timer);
  if (inTime) return;
  options.onKill?.();
  try {
    if (options.group && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
  await gone;
}

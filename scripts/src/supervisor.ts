/**
 * Starts components in order, stops them in reverse. If one fails to start, or dies while the stack
 * runs, everything already started is stopped and `run` rejects.
 */
import type { StackComponent, StartedComponent } from './component.js';

export interface SupervisorEvents {
  log(message: string): void;
}

export class Supervisor {
  private readonly started: Array<{ name: string; handle: StartedComponent }> = [];
  private stopping: Promise<void> | undefined;
  private readonly env: Record<string, string> = {};

  constructor(
    private readonly components: readonly StackComponent[],
    private readonly events: SupervisorEvents,
  ) {}

  /** Start everything; resolves with the endpoints once all are healthy. */
  async start(): Promise<Array<{ name: string; endpoints: Record<string, string> }>> {
    for (const component of this.components) {
      if (this.stopping) throw new Error('stopped while starting');
      this.events.log(`starting ${component.name}…`);
      const handle = await component.start({ ...this.env });
      this.started.push({ name: component.name, handle });
      Object.assign(this.env, handle.env ?? {});
      this.events.log(`${component.name} is healthy`);
    }
    return this.started.map((s) => ({ name: s.name, endpoints: s.handle.endpoints }));
  }

  /** Resolves with the name and code of the first component that exits on its own. */
  firstExit(): Promise<{ name: string; code: number | null }> {
    return Promise.race(
      this.started.filter((s) => s.handle.exited).map((s) => s.handle.exited!.then((code) => ({ name: s.name, code }))),
    );
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const { name, handle } of [...this.started].reverse()) {
        this.events.log(`stopping ${name}…`);
        try {
          await handle.stop();
        } catch (err) {
          this.events.log(`${name} failed to stop cleanly: ${(err as Error).message}`);
        }
      }
    })();
    return this.stopping;
  }
}

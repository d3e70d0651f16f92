/**
 * A stack component is anything `npm start` brings up: a service process, an embedded database, a
 * flag server. Components start in order; each may add environment for the ones after it (the
 * embedded PostgreSQL adds DATABASE_URL) and stop in reverse order.
 */
export interface StartedComponent {
  /** Shown in the summary table: label -> URL or note. */
  endpoints: Record<string, string>;
  /** Environment added for later components. */
  env?: Record<string, string>;
  /** Resolves if the component dies on its own (with its exit code). */
  exited?: Promise<number | null>;
  stop(): Promise<void>;
}

export interface StackComponent {
  name: string;
  start(env: Record<string, string>): Promise<StartedComponent>;
}

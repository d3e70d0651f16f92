/**
 * The route table's source: a JSON file compiled into a frozen RouteTable, reloaded when the file
 * changes and on `POST /reload`. A reload compiles a whole new table and swaps the reference; a bad
 * file is refused (logged, returned to the caller) and the table in service stays.
 *
 *   const source = await RouteSource.open({ file: 'routes.json', upstreams, logger, watch: true });
 *   source.current.match('POST', '/api/v1/ml/predict');
 *   await source.reload('admin');   // throws RouteTableError, old table kept
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@smp/platform';
import { compileRouteTable, RouteTable, RouteTableError } from './route-table.js';

export interface RouteSourceOptions {
  file: string;
  upstreams: Readonly<Record<string, string>>;
  logger: Logger;
  /** Reload when the file changes on disk. */
  watch: boolean;
  /** Quiet time after a file event before reloading (editors write in several steps). */
  debounceMs?: number;
}

/** What `GET /status` shows about the table. */
export interface RouteSourceStatus {
  file: string;
  version: number;
  loadedAt: string;
  routes: number;
  lastError: { at: string; message: string } | null;
}

export type ReloadResult = { changed: boolean; version: number; routes: number };

/** Read and compile `file`; every failure (missing file, bad JSON, bad routes) is a RouteTableError. */
export async function loadRouteTable(file: string, upstreams: Readonly<Record<string, string>>): Promise<{ table: RouteTable; text: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new RouteTableError(`Cannot read route table ${file}`, [(err as Error).message]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RouteTableError(`Route table ${file} is not valid JSON`, [(err as Error).message]);
  }
  return { table: compileRouteTable(json, upstreams), text };
}

export class RouteSource {
  /** The table in service: read it per request, never cache it across requests. */
  current: RouteTable;
  private version = 1;
  private loadedAt = new Date();
  private lastText: string;
  private lastError: RouteSourceStatus['lastError'] = null;
  private queue: Promise<unknown> = Promise.resolve();
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners: Array<(table: RouteTable) => void> = [];
  private readonly rejectListeners: Array<(err: Error) => void> = [];

  private constructor(
    private readonly options: RouteSourceOptions,
    table: RouteTable,
    text: string,
  ) {
    this.current = table;
    this.lastText = text;
  }

  /** Load the file once (throws RouteTableError: refuse to start) and start watching it. */
  static async open(options: RouteSourceOptions): Promise<RouteSource> {
    const { table, text } = await loadRouteTable(options.file, options.upstreams);
    const source = new RouteSource(options, table, text);
    if (options.watch) source.startWatching();
    return source;
  }

  /** Called with the new table after every successful swap. */
  onChange(listener: (table: RouteTable) => void): void {
    this.listeners.push(listener);
  }

  /** Called with the error after every refused reload. */
  onReject(listener: (err: Error) => void): void {
    this.rejectListeners.push(listener);
  }

  /** Re-read the file; serialised, so two reloads never interleave. */
  reload(reason: string): Promise<ReloadResult> {
    const run = this.queue.then(() => this.reloadNow(reason));
    this.queue = run.catch(() => undefined);
    return run;
  }

  status(): RouteSourceStatus {
    return {
      file: this.options.file,
      version: this.version,
      loadedAt: this.loadedAt.toISOString(),
      routes: this.current.routes.length,
      lastError: this.lastError,
    };
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.watcher?.close();
    this.watcher = null;
  }

  private async reloadNow(reason: string): Promise<ReloadResult> {
    const { logger, file, upstreams } = this.options;
    let loaded: Awaited<ReturnType<typeof loadRouteTable>>;
    try {
      loaded = await loadRouteTable(file, upstreams);
    } catch (err) {
      const message = (err as Error).message;
      this.lastError = { at: new Date().toISOString(), message };
      logger.error('route table reload refused; the previous table stays in service', { reason, file, error: message });
      for (const listener of this.rejectListeners) listener(err as Error);
      throw err;
    }
    if (loaded.text === this.lastText) return { changed: false, version: this.version, routes: this.current.routes.length };
    this.current = loaded.table;
    this.lastText = loaded.text;
    this.version += 1;
    this.loadedAt = new Date();
    this.lastError = null;
    logger.info('route table reloaded', { reason, file, version: this.version, routes: loaded.table.routes.length });
    for (const listener of this.listeners) {
      try {
        listener(loaded.table);
      } catch (err) {
        logger.warn('route table listener failed', { error: (err as Error).message });
      }
    }
    return { changed: true, version: this.version, routes: loaded.table.routes.length };
  }

  private startWatching(): void {
    const { file, logger } = this.options;
    const base = path.basename(file);
    try {
      // Watch the directory: editors and `mv` replace the file, which ends a watch on the file itself.
      this.watcher = watch(path.dirname(file), { persistent: false }, (_event, name) => {
        if (name !== null && name.toString() !== base) return;
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => {
          this.timer = null;
          this.reload('file change').catch(() => undefined);
        }, this.options.debounceMs ?? 100);
      });
      this.watcher.on('error', (err) => logger.warn('route table watch failed; use POST /reload', { file, error: err.message }));
    } catch (err) {
      logger.warn('cannot watch the route table; use POST /reload', { file, error: (err as Error).message });
    }
  }
}

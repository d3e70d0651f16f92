/**
 * winston JSON logs. Every record carries `service` and, inside a request, the request's
 * `correlation_id` (its X-Request-ID), taken from an AsyncLocalStorage set by the request-id
 * middleware, so handlers never pass ids around by hand:
 *   {"level":"info","message":"request","service":"legacy-monolith","correlation_id":"…",…}
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import winston from 'winston';

export type Logger = winston.Logger;

export interface RequestContext {
  requestId: string;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

const correlation = winston.format((info) => {
  const ctx = requestContext.getStore();
  if (ctx && info.correlation_id === undefined) info.correlation_id = ctx.requestId;
  return info;
});

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Defaults to stdout; tests pass a stream to read what was logged. */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  return winston.createLogger({
    level: options.level ?? 'info',
    silent: options.silent ?? false,
    defaultMeta: { service: options.service },
    format: winston.format.combine(correlation(), winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    transports: [transport],
  });
}

/** A logger that writes nothing: the default in tests that do not look at logs. */
export function silentLogger(service = 'test'): Logger {
  return createLogger({ service, silent: true });
}

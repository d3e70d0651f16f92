/**
 * The express skeleton every HTTP service shares:
 *   const app = createHttpApp({ service, logger, registry });
 *   app.get('/health', …);            // routes
 *   finishHttpApp(app, { logger });   // 404 + the one error mapper
 * It gives each request an id (X-Request-ID + log correlation), an access log line, the legacy
 * metrics (`http_requests_total`, `http_request_duration_seconds` labelled by route template) and
 * `GET /metrics` from the app's own Registry. With a tracer (tracing.ts), each request is a server
 * span continuing the caller's `traceparent`, named by method and route template, and active while
 * the handler runs (its database calls are its children); quiet paths (probes, scrapes) are not.
 */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../logger.js';
import { requestContext } from '../logger.js';
import { httpMetrics, statusClass, type Registry } from '../metrics.js';
import { toHttpError } from '../errors.js';
import { endSpan, startSpan, withSpan, type Tracer } from '../tracing.js';
import { requestIdFrom } from './request-id.js';

export interface HttpAppOptions {
  service: string;
  logger: Logger;
  registry: Registry;
  /** JSON body limit (express syntax, e.g. '1mb'). */
  bodyLimit?: string;
  /** Paths not logged per request (health probes, metrics scrapes). */
  quietPaths?: string[];
  /** Null or absent: no spans. */
  tracer?: Tracer | null;
}

declare module 'express-serve-static-core' {
  interface Request {
    requestId: string;
  }
}

/** The route template that answered (`/api/v1/ml/models/:name/versions`), never the raw path. */
export function routeTemplate(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  if (route && typeof route.path === 'string') return `${req.baseUrl}${route.path}` || '/';
  return 'unmatched';
}

export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  const metrics = httpMetrics(options.registry);
  const quiet = new Set(options.quietPaths ?? ['/health', '/metrics']);
  const { logger } = options;
  const tracer = options.tracer ?? null;

  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    const requestId = requestIdFrom(req.headers);
    req.requestId = requestId;
    res.setHeader('X-Request-ID', requestId);
    // Probes and scrapes (quiet paths) are not traced: they would bury the requests in traces.
    const span = tracer === null || quiet.has(req.path) ? null : startSpan(tracer, req.method, 'server', req.headers.traceparent ?? '', { 'http.request.method': req.method, 'url.path': req.path });
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const handler = routeTemplate(req);
      if (span !== null) {
        span.updateName(`${req.method} ${handler}`);
        span.setAttribute('http.route', handler);
        endSpan(span, res.statusCode);
      }
      metrics.requests.inc({ handler, method: req.method, status: statusClass(res.statusCode) });
      metrics.duration.observe({ handler, method: req.method }, seconds);
      // winston formats a record before its transports filter by level: check first, so an access
      // log that is off costs nothing per request.
      if (logger.isLevelEnabled('http') && !quiet.has(req.path)) {
        logger.http('request', {
          correlation_id: requestId,
          method: req.method,
          handler,
          status: res.statusCode,
          duration_ms: Math.round(seconds * 1e6) / 1e3,
        });
      }
    });
    if (span === null) requestContext.run({ requestId }, next);
    else requestContext.run({ requestId }, () => withSpan(span, next));
  });

  app.use(express.json({ limit: options.bodyLimit ?? '1mb', type: ['application/json', 'application/*+json'] }));

  app.get('/metrics', async (_req, res, next) => {
    try {
      res.setHeader('Content-Type', options.registry.contentType);
      res.send(await options.registry.metrics());
    } catch (err) {
      next(err);
    }
  });

  return app;
}

/** Unmatched routes get FastAPI's 404; every error goes through the one catalogue mapping. */
export function finishHttpApp(app: Express, options: { logger: Logger }): Express {
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ detail: 'Not Found' });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const mapped = toHttpError(err);
    if (mapped.status >= 500) {
      options.logger.error('request failed', {
        correlation_id: req.requestId,
        code: mapped.code,
        error: (err as Error)?.message,
        stack: (err as Error)?.stack,
      });
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    for (const [name, value] of Object.entries(mapped.headers)) res.setHeader(name, value);
    res.status(mapped.status).json(mapped.body);
  });
  return app;
}

/** Wrap an async handler so a rejected promise reaches the error mapper (express 5 does this too). */
export function handle(fn: (req: Request, res: Response) => Promise<unknown> | unknown) {
  return (req: Request, res: Response, next: NextFunction) => {
    Promise.resolve()
      .then(() => fn(req, res))
      .catch(next);
  };
}

/**
 * How FastAPI read a request body that the skeleton's JSON parser (application/json, +json) leaves
 * alone, so every service refuses such bodies byte for byte as the legacy API did:
 *   no Content-Type at all   -> parsed as JSON anyway (FastAPI called `await request.json()`);
 *   text/plain, a form, …    -> the raw bytes (a Buffer) reach validation, which refuses them as
 *                               `body: Input should be a valid dictionary or object to extract fields from`.
 *
 *   const app = createHttpApp({ service, logger, registry });
 *   app.use(legacyBodyReaders());   // after createHttpApp: its JSON parser has had its turn
 */
import express, { type Request, type RequestHandler } from 'express';

/** A Content-Type header was sent and is not empty. */
const hasContentType = (req: Request): boolean => Boolean(req.headers['content-type']);

/** The two readers, to register right after `createHttpApp`; `limit` as express's (default '1mb', the skeleton's). */
export function legacyBodyReaders(limit = '1mb'): RequestHandler[] {
  return [
    express.json({ limit, type: (req) => !hasContentType(req as Request) }),
    // Only what no parser has taken yet: a JSON body was read already and must stay an object.
    express.raw({ limit, type: (req) => hasContentType(req as Request) && (req as Request).body === undefined }),
  ];
}

/**
 * FastAPI's reading of request bodies beyond the platform's JSON parser:
 *   - no Content-Type at all: the body is parsed as JSON anyway (FastAPI did `await request.json()`);
 *   - another Content-Type (a form, plain text): the raw bytes reach validation, which refuses
 *     them as `body: Input should be a valid dictionary or object to extract fields from`.
 * Registered after the platform's `express.json` (which handles application/json and +json).
 */
import express, { type Request } from 'express';

export function legacyBodyParsers(limit = '1mb') {
  return [
    express.json({ limit, type: (req) => !(req as Request).headers['content-type'] }),
    express.raw({ limit, type: (req) => Boolean((req as Request).headers['content-type']) && (req as Request).body === undefined }),
  ];
}

/**
 * Human decisions: POST /api/v1/decisions/submit stores one (201, echoing the stored row) and
 * GET /api/v1/decisions lists them newest first:
 *
 *   {"request_id":"req-1","decision":"approve","operator_id":"op-7"}
 *   -> 201 {"id":"<uuid4>","request_id":"req-1","decision":"approve","operator_id":"op-7","justification":null,
 *           "timestamp":"2025-08-21T10:00:00.123456+00:00","confidence":1.0,"additional_notes":null,"correlation_id":null}
 */
import { fields, parseBody, parseQuery } from '@smp/platform';
import type { Express, RequestHandler } from 'express';
import type { RouteContext } from '../app.js';

/** The legacy `DecisionResponse`. */
export const decisionRequestSchema = fields.model({
  request_id: fields.str(),
  decision: fields.str(),
  operator_id: fields.str(),
  justification: fields.str().nullable().default(null),
  timestamp: fields.datetime().nullable().default(null),
  confidence: fields.number({ ge: 0, le: 1 }).default(1),
  additional_notes: fields.str().nullable().default(null),
  correlation_id: fields.str().nullable().default(null),
});

export const decisionsQuerySchema = fields.model({
  limit: fields.int({ ge: 1, le: 500 }).default(50),
  offset: fields.int({ ge: 0 }).default(0),
  operator_id: fields.str().nullable().default(null),
  request_id: fields.str().nullable().default(null),
  correlation_id: fields.str().nullable().default(null),
  start_date: fields.datetime().nullable().default(null),
  end_date: fields.datetime().nullable().default(null),
});

export function decisionRoutes(app: Express, ctx: RouteContext, options: { auth: RequestHandler }): void {
  app.post('/api/v1/decisions/submit', options.auth, async (req, res) => {
    const body = parseBody(decisionRequestSchema, req.body);
    const stored = await ctx.decisions.insert({
      id: ctx.newId(),
      request_id: body.request_id,
      decision: body.decision,
      operator_id: body.operator_id,
      justification: body.justification,
      timestamp: body.timestamp?.iso ?? null,
      confidence: body.confidence,
      additional_notes: body.additional_notes,
      correlation_id: body.correlation_id,
    });
    res.status(201).json(stored);
  });

  app.get('/api/v1/decisions', options.auth, async (req, res) => {
    const q = parseQuery(decisionsQuerySchema, req.query);
    res.json(
      await ctx.decisions.list({
        limit: q.limit,
        offset: q.offset,
        operatorId: q.operator_id || null,
        requestId: q.request_id || null,
        correlationId: q.correlation_id || null,
        start: q.start_date?.iso ?? null,
        end: q.end_date?.iso ?? null,
      }),
    );
  });
}

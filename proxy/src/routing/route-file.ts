/**
 * The route table's file format (JSON), validated with zod. One route:
 *
 *   { "id": "ml-predict",
 *     "match": { "method": "POST", "path": "/api/v1/ml/predict" },   // or "prefix": "/api/v1/ml/models"
 *     "legacy": "legacy", "candidate": "prediction",                  // upstream names
 *     "idempotent": true,
 *     "timeouts": { "headersMs": 30000, "bodyMs": 30000, "candidateHeadersMs": 5000, "candidateBodyMs": 5000 },
 *     "rewrite": { "prefix": "/api/v1/ml", "to": "/v2", "on": "candidate" },
 *     "shadow": {…}, "compare": {…}, "judge": {…} }                   // see route-settings.ts
 *
 * Unknown keys are refused everywhere, the shadow/compare/judge objects included (a typo must not
 * silently change routing or judging).
 */
import { z } from 'zod';
import { compareSchema, judgeSchema, routeRolloutSchema, shadowSchema } from './route-settings.js';

const ms = (fallback: number) => z.number().int().min(1).max(3_600_000).default(fallback);

export const timeoutsSchema = z
  .object({
    /** Until the upstream's response head arrives. */
    headersMs: ms(30_000),
    /** Longest silence between two response body chunks. */
    bodyMs: ms(30_000),
    /** Headers timeout for the candidate only (defaults to headersMs): keep it short so a fallback still answers in time. */
    candidateHeadersMs: z.number().int().min(1).max(3_600_000).optional(),
    /** Longest silence between two candidate body chunks (defaults to candidateHeadersMs, else bodyMs): a stalled candidate body falls back in time. */
    candidateBodyMs: z.number().int().min(1).max(3_600_000).optional(),
  })
  .strict();

const method = z
  .string()
  .trim()
  .regex(/^([A-Za-z]+|\*)$/, 'expected an HTTP method or "*"')
  .transform((m) => m.toUpperCase());

const matchSchema = z
  .object({
    /** One method, a list, or "*" / omitted for any. */
    method: z.union([method, z.array(method).nonempty()]).optional(),
    /** A path template: literal segments and `:param` segments. */
    path: z.string().startsWith('/', 'must start with "/"').optional(),
    /** A path prefix matched at a segment boundary. */
    prefix: z.string().startsWith('/', 'must start with "/"').optional(),
  })
  .strict()
  .refine((m) => (m.path === undefined) !== (m.prefix === undefined), 'give exactly one of "path" or "prefix"');

const rewriteSchema = z
  .object({
    prefix: z.string().startsWith('/', 'must start with "/"'),
    to: z.string(),
    /** Which side gets the rewritten path; the monolith's contract is the client's, so candidate by default. */
    on: z.enum(['candidate', 'legacy', 'both']).default('candidate'),
  })
  .strict();

export const routeSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'expected lowercase letters, digits, "-" or "_" (at most 63)'),
    description: z.string().optional(),
    match: matchSchema,
    legacy: z.string().min(1),
    candidate: z.string().min(1).optional(),
    idempotent: z.boolean().default(false),
    timeouts: timeoutsSchema.optional(),
    rewrite: rewriteSchema.optional(),
    shadow: shadowSchema,
    compare: compareSchema,
    judge: judgeSchema,
    rollout: routeRolloutSchema,
  })
  .strict();

export const routeFileSchema = z
  .object({
    description: z.string().optional(),
    /** Defaults for every route's timeouts, and the timeouts of unmatched requests. */
    defaults: z.object({ timeouts: timeoutsSchema.default({}) }).strict().default({}),
    routes: z.array(routeSchema),
  })
  .strict();

export type RouteFile = z.output<typeof routeFileSchema>;
export type RouteSpec = z.output<typeof routeSchema>;

/** Zod issues as `routes[2].match: give exactly one of "path" or "prefix"`. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    let where = '';
    for (const part of issue.path) where += typeof part === 'number' ? `[${part}]` : where ? `.${part}` : part;
    if (issue.code === 'unrecognized_keys') return `${where || '(file)'}: unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    return `${where || '(file)'}: ${issue.message}`;
  });
}

/**
 * The legacy ML routes as operations shared by the monolith and the extracted services, so they
 * validate, compute and answer byte-identically. Each takes its I/O injected (registry, stored
 * readings, clock, ids) and returns the exact response body or throws the exact AppError:
 *
 *   const body = parseBody(predictRequestSchema, req.body);
 *   res.json(await predictOperation(body, { registry, scorer: registryScorer(registry), newId: randomUUID }));
 */
export * from './schemas.js';
export * from './readings.js';
export * from './python-format.js';
export * from './predict.js';
export * from './models.js';
export * from './anomaly.js';
export * from './drift.js';

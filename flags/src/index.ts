/**
 * @smp/flags: the migration flags (definitions, bootstrap document), a typed Unleash Admin API
 * client, an embedded Unleash server for the local stack and tests, and the release-manager CLI
 * (`npm run flags -- status`).
 */
export * from './definitions.js';
export * from './variants.js';
export * from './admin-client.js';
export * from './embedded-unleash.js';
export * from './unleash-credentials.js';

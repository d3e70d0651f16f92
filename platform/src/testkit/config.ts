/** Where tests find the real PostgreSQL and Redis (the machine's, or CI's). */
import { loadConfig, z, url } from '../config.js';

const schema = z.object({
  DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/test'),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
});

export const testConfig = loadConfig(schema, process.env);

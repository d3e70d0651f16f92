import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeServiceSkeleton } from '@smp/platform/testkit';
import { parseConfig, SERVICE, start } from '../src/index.js';

describeServiceSkeleton({
  service: SERVICE,
  parseConfig,
  start,
  mainScript: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/main.js'),
  testDatabase: 'anomaly_skel',
});

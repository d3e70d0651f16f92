import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, describeServiceSkeleton, type TestDatabase } from '@smp/platform/testkit';
import { parseConfig, SERVICE, start } from '../src/index.js';

describe('legacy-monolith with its test database', function () {
  let db: TestDatabase;
  before(async function () {
    db = await createTestDatabase('mono_skel');
  });
  after(async function () {
    await db?.drop();
  });

  describeServiceSkeleton({
    service: SERVICE,
    parseConfig,
    start,
    mainScript: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/main.js'),
    env: () => ({ DATABASE_URL: db.url }),
  });
});

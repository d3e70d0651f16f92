import assert from 'node:assert/strict';
import { bool, commonEnv, ConfigError, int, loadConfig, optional, port, storageEnv, url, z } from '../src/index.js';

const schema = z.object({
  ...commonEnv,
  ...storageEnv,
  PORT: port(8000),
  RETRIES: int(3, 0, 10),
  FEATURE: bool(false),
  UPSTREAM: url(['http:', 'https:']),
  OPTIONAL_URL: optional(url(['http:'])),
});

describe('loadConfig', function () {
  it('applies defaults and converts types: PORT unset -> 8000, FEATURE=yes -> true', function () {
    const config = loadConfig(schema, { UPSTREAM: 'http://a:1', FEATURE: 'yes' });
    assert.equal(config.PORT, 8000);
    assert.equal(config.FEATURE, true);
    assert.equal(config.LOG_LEVEL, 'info');
    assert.equal(config.RETRIES, 3);
    assert.equal(config.OPTIONAL_URL, undefined);
  });

  it('treats an empty optional variable as unset', function () {
    const config = loadConfig(schema, { UPSTREAM: 'http://a:1', DATABASE_URL: '', OPTIONAL_URL: ' ' });
    assert.equal(config.DATABASE_URL, undefined);
    assert.equal(config.OPTIONAL_URL, undefined);
  });

  it('returns a deeply frozen object', function () {
    const config = loadConfig(z.object({ NESTED: z.string().transform((s) => ({ list: s.split(',') })) }), { NESTED: 'a,b' });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.NESTED));
    assert.ok(Object.isFrozen(config.NESTED.list));
  });

  it('refuses every bad variable in one message, naming each with its value', function () {
    let error: unknown;
    try {
      loadConfig(schema, { PORT: '70000', RETRIES: 'x', FEATURE: 'maybe', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }
    assert.ok(error instanceof ConfigError);
    const message = (error as ConfigError).message;
    assert.match(message, /^Invalid configuration: /);
    assert.match(message, /PORT: expected an integer 0\.\.65535, got "70000"/);
    assert.match(message, /RETRIES: expected an integer 0\.\.10, got "x"/);
    assert.match(message, /FEATURE: expected true\/false/);
    assert.match(message, /DATABASE_URL: expected a URL \(postgres: or postgresql:\), got "mysql:\/\/x"/);
    assert.match(message, /LOG_LEVEL: expected one of error, warn/);
    assert.match(message, /UPSTREAM: required but not set/);
    assert.equal((error as ConfigError).problems.length, 6);
  });
});

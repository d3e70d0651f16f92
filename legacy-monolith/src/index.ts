/** legacy-monolith: start({ config, port }) -> { url, port, close }. */
import { startApp, type RunningService, type StartOptions } from '@smp/platform';
import { createApp, SERVICE } from './app.js';
import { parseConfig, type Config } from './config.js';

export { createApp, parseConfig, SERVICE, type Config };

export function start(options: Partial<StartOptions<Config>> = {}): Promise<RunningService> {
  return startApp(SERVICE, createApp, { ...options, config: options.config ?? parseConfig({}) });
}

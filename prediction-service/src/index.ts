/**
 * prediction-service: start({ config, port }) -> { url, port, close }. Opens the on-disk model
 * registry at MODEL_REGISTRY_DIR (nothing to close: it holds no handles) and serves the app;
 * close() releases the ONNX sessions after the server stopped.
 */
import { startApp, type RunningService, type StartOptions } from '@smp/platform';
import { openRegistry } from '@smp/ml/registry/model-registry';
import type { ModelRegistry } from '@smp/ml/contract';
import { createApp, RUNTIME, RUNTIME_HEADER, SERVICE, type PredictionDeps } from './app.js';
import { parseConfig, type Config } from './config.js';

export { createApp, parseConfig, RUNTIME, RUNTIME_HEADER, SERVICE, type Config, type PredictionDeps };

export interface PredictionStartOptions extends StartOptions<Config> {
  /** A registry to use instead of opening MODEL_REGISTRY_DIR (tests). */
  modelRegistry?: ModelRegistry;
  /** Clock and id source of the response bodies (tests pin them to compare bodies byte for byte). */
  now?: () => Date;
  newId?: () => string;
}

export function start(options: Partial<PredictionStartOptions> = {}): Promise<RunningService> {
  const config = options.config ?? parseConfig({});
  return startApp(
    SERVICE,
    (deps) =>
      createApp({ ...deps, modelRegistry: options.modelRegistry ?? openRegistry(config.MODEL_REGISTRY_DIR), now: options.now, newId: options.newId }),
    { ...options, config },
  );
}

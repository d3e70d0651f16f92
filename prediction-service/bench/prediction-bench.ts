/**
 * `npm run bench:prediction`: what the prediction service costs, on the registry's "auto" model.
 *
 *   1. session.run per call for batch 1 and batch 64 (µs), beside the plain-TypeScript classifier
 *      and both TreeSHAP implementations per vector (the table one `Classifier.shap` uses, in the
 *      monolith and here, and the path-walking reference), in this process;
 *   2. the service alone (its own process, as `npm start` runs it): RPS and P50/P95/P99 of
 *      POST /api/v1/ml/predict with explain true (the default: ONNX + TreeSHAP) and explain false;
 *   3. the same through the edge proxy (its own process; route ml-predict, flag
 *      migrate.ml-predict.live at 100 %, so every request is served by the prediction service).
 *
 * Targets (issue 6): ≥ 5,000 RPS single process with P95 ≤ 2 ms; through the proxy P95 ≤ 5 ms.
 * Environment: MODEL_REGISTRY_DIR (default <repo>/models), BENCH_DURATION_S (5),
 * BENCH_CONNECTIONS (8), BENCH_SKIP_PROXY (set to skip 3).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { freePort } from '@smp/platform/testkit';
import { defaultModelsDir } from '@smp/ml/registry/models-dir';
import { openRegistry } from '@smp/ml/registry/model-registry';
import { ai4iRowFeatures, generateAi4i } from '@smp/ml/simulation/ai4i';
import { createTreeShapExplainer } from '@smp/ml/classifier/tree-shap';
import { loadOnnxClassifier } from '../src/onnx/onnx-classifier.js';
import { exportVersionOnnx, isGbdtClassifier } from '../src/onnx/registry-export.js';
import { closedLoopLoad, type LoadResult } from './closed-loop-load.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVICE_MAIN = path.resolve(HERE, '../src/main.js');
const PROXY_MAIN = path.resolve(HERE, '../../../proxy/dist/src/main.js');
const MODEL = 'ai4i_classifier';
const PREDICT = '/api/v1/ml/predict';
const API_KEY = 'bench-client';
const FEATURES = { Air_temperature_K: 298.1, Process_temperature_K: 308.6, Rotational_speed_rpm: 1551, Torque_Nm: 42.8, Tool_wear_min: 108, Type: 'M' };

const registryDir = process.env.MODEL_REGISTRY_DIR || defaultModelsDir();
const durationS = Number(process.env.BENCH_DURATION_S ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 8);

interface Child {
  url: string;
  stop(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await request(url);
    await res.body.dump();
    return res.statusCode < 500;
  } catch {
    return false;
  }
}

async function startChild(script: string, env: Record<string, string>, readyPath: string): Promise<Child> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (!(await answers(`${url}${readyPath}`))) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}: ${stderr.slice(-1500)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${script} not ready within 20 s: ${stderr.slice(-1500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function perCall(fn: () => unknown, minMs = 300): number {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const started = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs * 1e6) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    elapsed = Number(process.hrtime.bigint() - started);
  }
  return elapsed / n / 1000;
}

async function perCallAsync(fn: () => Promise<unknown>, minMs = 300): Promise<number> {
  for (let i = 0; i < 200; i++) await fn();
  let n = 0;
  const started = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs * 1e6) {
    for (let i = 0; i < 50; i++) await fn();
    n += 50;
    elapsed = Number(process.hrtime.bigint() - started);
  }
  return elapsed / n / 1000;
}

const fmt = (r: LoadResult) =>
  `${r.rps.toFixed(0).padStart(6)} RPS   P50 ${r.p50Ms.toFixed(2)} ms   P95 ${r.p95Ms.toFixed(2)} ms   P99 ${r.p99Ms.toFixed(2)} ms   (${r.requests} requests, ${r.errors} errors)`;

async function main(): Promise<void> {
  const registry = openRegistry(registryDir);
  const meta = await registry.resolveVersion(MODEL, 'auto');
  if (!meta) throw new Error(`no ${MODEL} in ${registryDir}: run \`npm run train\` first`);
  console.log(`prediction-service benchmark: ${MODEL} v${meta.version} (auto) from ${registryDir}; ${os.cpus().length} CPUs, shared machine`);
  const exported = await exportVersionOnnx(registry, meta);
  if (exported.status === 'failed') throw new Error(`export failed: ${exported.reason}`);

  // 1. In-process costs.
  const classifier = await registry.loadClassifier(MODEL, meta.version);
  const onnx = await loadOnnxClassifier(exported.path!, meta.feature_names.length);
  const rows = generateAi4i({ rows: 64, seed: 99 }).map(ai4iRowFeatures);
  const one = Float32Array.from(rows[0]);
  const batch = Float32Array.from(rows.flat());
  const run1 = await perCallAsync(() => onnx.run(one, 1));
  const run64 = await perCallAsync(() => onnx.run(batch, 64));
  let k = 0;
  const tsPredict = perCall(() => classifier.predict(rows[k++ % 64]));
  const shap = perCall(() => classifier.shap(rows[k++ % 64]));
  const reference = isGbdtClassifier(classifier) ? createTreeShapExplainer(classifier.ensemble) : undefined;
  const referenceShap = reference ? perCall(() => reference.shap(rows[k++ % 64])) : Number.NaN;
  await onnx.close();
  console.log(`\nsession.run  batch 1: ${run1.toFixed(1)} µs/call   batch 64: ${run64.toFixed(1)} µs/call (${(run64 / 64).toFixed(2)} µs/row)`);
  console.log(`plain TypeScript predict: ${tsPredict.toFixed(2)} µs/vector   Classifier.shap (table TreeSHAP, monolith and service): ${shap.toFixed(1)} µs/vector   path-walking TreeSHAP (reference): ${referenceShap.toFixed(1)} µs/vector`);

  // 2. The service alone, 3. through the proxy.
  const service = await startChild(SERVICE_MAIN, { MODEL_REGISTRY_DIR: registryDir, API_KEYS: API_KEY }, '/health');
  const work = mkdtempSync(path.join(os.tmpdir(), 'prediction-bench-'));
  let proxy: Child | undefined;
  try {
    const explain = JSON.stringify({ model_name: MODEL, features: FEATURES });
    const noExplain = JSON.stringify({ model_name: MODEL, features: FEATURES, explain: false });
    const headers = { 'x-api-key': API_KEY };
    console.log(`\nservice alone (${connections} connections, ${durationS} s each):`);
    console.log(`  explain=true   ${fmt(await closedLoopLoad({ url: `${service.url}${PREDICT}`, body: explain, headers, connections, durationS }))}`);
    console.log(`  explain=false  ${fmt(await closedLoopLoad({ url: `${service.url}${PREDICT}`, body: noExplain, headers, connections, durationS }))}`);

    if (process.env.BENCH_SKIP_PROXY) {
      console.log('\nthrough the proxy: skipped (BENCH_SKIP_PROXY)');
      return;
    }
    const routes = path.join(work, 'routes.json');
    const flags = path.join(work, 'flags.json');
    writeFileSync(routes, JSON.stringify({ routes: [{ id: 'ml-predict', match: { method: 'POST', path: PREDICT }, legacy: 'legacy', candidate: 'prediction', idempotent: true }] }));
    const flexible = { name: 'flexibleRollout', parameters: { rollout: '100', stickiness: 'default', groupId: 'migrate.ml-predict.live' }, constraints: [] };
    writeFileSync(flags, JSON.stringify({ version: 2, features: [{ name: 'migrate.ml-predict.live', enabled: true, strategies: [flexible] }] }));
    try {
      proxy = await startChild(
        PROXY_MAIN,
        {
          ADMIN_PORT: 'off',
          // Legacy is never chosen at 100 %; point it at the service too so nothing else must run.
          LEGACY_URL: service.url,
          PREDICTION_URL: service.url,
          ANOMALY_URL: service.url,
          PROXY_ROUTES: routes,
          PROXY_ROUTES_WATCH: 'false',
          UNLEASH_BOOTSTRAP: flags,
          UNLEASH_URL: '',
        },
        '/health',
      );
    } catch (err) {
      console.log(`\nthrough the proxy: not run (${(err as Error).message.split('\n')[0]})`);
      return;
    }
    console.log(`\nthrough the proxy (ml-predict live at 100 %, ${connections} connections, ${durationS} s each):`);
    console.log(`  explain=true   ${fmt(await closedLoopLoad({ url: `${proxy.url}${PREDICT}`, body: explain, headers, connections, durationS }))}`);
    console.log(`  explain=false  ${fmt(await closedLoopLoad({ url: `${proxy.url}${PREDICT}`, body: noExplain, headers, connections, durationS }))}`);
  } finally {
    await proxy?.stop();
    await service.stop();
    rmSync(work, { recursive: true, force: true });
  }
  console.log('\ntargets: ≥ 5,000 RPS with P95 ≤ 2 ms alone; P95 ≤ 5 ms through the proxy (machine shared: the lead re-runs on a quiet one)');
}

main().catch((err: Error) => {
  console.error(`prediction bench failed: ${err.stack ?? err.message}`);
  process.exitCode = 1;
});

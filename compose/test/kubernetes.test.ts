/**
 * `kubectl kustomize compose/k8s` (Debian's kubectl, offline) renders, and every rendered object
 * validates against the Kubernetes OpenAPI schemas shipped by `kubernetes-models` (types, required
 * fields, quantities). Then what the operator relies on: autoscalers for the three stateless
 * tiers aimed at real Deployments, a disruption budget per Deployment, requests and limits and
 * probes on every container.
 */
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { runTool } from './support/tools.js';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
}

type Container = { name: string; resources?: { requests?: Record<string, string>; limits?: Record<string, string> }; readinessProbe?: object; livenessProbe?: object };
type Deployment = K8sObject & { spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: { containers: Container[] } } } };

function render(): K8sObject[] {
  const res = runTool('kubectl', ['kustomize', 'k8s']);
  assert.equal(res.status, 0, `kubectl kustomize failed: ${res.stderr}`);
  return YAML.parseAllDocuments(res.stdout).map((d) => d.toJSON() as K8sObject);
}

/** The kubernetes-models class for an object (`apps/v1` Deployment -> kubernetes-models/apps/v1). */
async function validateObject(object: K8sObject): Promise<void> {
  const group = (await import(`kubernetes-models/${object.apiVersion}`)) as Record<string, new (data: object) => { validate(): void }>;
  const Model = group[object.kind];
  if (Model === undefined) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
  new Model(object).validate();
}

describe('compose: Kubernetes manifests (kustomize)', function () {
  this.timeout(60_000);
  let objects: K8sObject[];
  before(function () {
    objects = render();
  });
  const ofKind = <T extends K8sObject>(kind: string) => objects.filter((o) => o.kind === kind) as T[];

  it('renders the namespace, config, 4 Deployments and Services, 3 autoscalers and 4 disruption budgets', function () {
    const count = (kind: string) => ofKind(kind).length;
    assert.deepEqual(
      { Namespace: count('Namespace'), ConfigMap: count('ConfigMap'), Deployment: count('Deployment'), Service: count('Service'), HorizontalPodAutoscaler: count('HorizontalPodAutoscaler'), PodDisruptionBudget: count('PodDisruptionBudget') },
      { Namespace: 1, ConfigMap: 1, Deployment: 4, Service: 4, HorizontalPodAutoscaler: 3, PodDisruptionBudget: 4 },
    );
    for (const o of objects) if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, 'strangler-edge', `${o.kind}/${o.metadata.name}`);
  });

  it('every rendered object is valid against the Kubernetes schemas', async function () {
    const failures: string[] = [];
    for (const o of objects) {
      try {
        await validateObject(o);
      } catch (err) {
        failures.push(`${o.kind}/${o.metadata.name}: ${(err as Error).message}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  it('the validation refuses a wrong quantity and a replica count given as text', async function () {
    const hpa = structuredClone(ofKind('HorizontalPodAutoscaler')[0]);
    (hpa.spec as Record<string, unknown>).maxReplicas = 'ten';
    await assert.rejects(validateObject(hpa), /maxReplicas must be integer/);
    const deployment = structuredClone(ofKind<Deployment>('Deployment')[0]);
    deployment.spec.template.spec.containers[0].resources!.limits!.cpu = 'lots';
    await assert.rejects(validateObject(deployment), /limits\/cpu must match format "quantity"/);
  });

  it('autoscales proxy, prediction-service and anomaly-service (autoscaling/v2, 2+ replicas, on CPU), whose Deployments leave the count to them', function () {
    const deployments = new Map(ofKind<Deployment>('Deployment').map((d) => [d.metadata.name, d]));
    const hpas = ofKind<K8sObject & { spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number; maxReplicas: number; metrics: Array<{ resource: { name: string } }> } }>('HorizontalPodAutoscaler');
    assert.deepEqual(hpas.map((h) => h.spec.scaleTargetRef.name).sort(), ['anomaly-service', 'prediction-service', 'proxy']);
    for (const h of hpas) {
      assert.equal(h.apiVersion, 'autoscaling/v2');
      assert.equal(h.spec.scaleTargetRef.kind, 'Deployment');
      const target = deployments.get(h.spec.scaleTargetRef.name);
      assert.ok(target, `${h.metadata.name} targets a missing Deployment`);
      assert.equal(target.spec.replicas, undefined, `${target.metadata.name} sets replicas: kubectl apply would fight the autoscaler`);
      assert.ok(h.spec.minReplicas >= 2 && h.spec.maxReplicas > h.spec.minReplicas, h.metadata.name);
      assert.ok(h.spec.metrics.some((m) => m.resource.name === 'cpu'), h.metadata.name);
    }
  });

  it('each Deployment has a disruption budget selecting its pods, and every container has requests, limits and probes', function () {
    const pdbs = ofKind<K8sObject & { spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } }>('PodDisruptionBudget');
    for (const d of ofKind<Deployment>('Deployment')) {
      const labels = d.spec.template.metadata.labels;
      const pdb = pdbs.find((p) => Object.entries(p.spec.selector.matchLabels).every(([k, v]) => labels[k] === v));
      assert.ok(pdb && pdb.spec.minAvailable >= 1, `${d.metadata.name} has no disruption budget`);
      for (const c of d.spec.template.spec.containers) {
        const where = `${d.metadata.name}/${c.name}`;
        for (const r of ['cpu', 'memory']) {
          assert.ok(c.resources?.requests?.[r], `${where}: no ${r} request`);
          assert.ok(c.resources?.limits?.[r], `${where}: no ${r} limit`);
        }
        assert.ok(c.readinessProbe && c.livenessProbe, `${where}: probes missing`);
      }
    }
  });
});

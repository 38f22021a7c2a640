/**
 * The Helm chart (deploy/helm/portcullis), checked without Helm (neither in Debian nor on npm):
 * its objects, built with kubernetes-models from the chart's default values, are valid Kubernetes
 * objects (the OpenAPI schemas the package carries) and keep the chart's promises (probes on the
 * probe port, a preStop sleep inside a grace period long enough for the drain, non-root read-only
 * containers without capabilities, a PodDisruptionBudget, an autoscaling/v2 HPA, config from a
 * ConfigMap, secrets from a Secret); the default config is one the gateway accepts; and the
 * checked-in chart is exactly what test/deploy/helm-chart.ts generates (`npm run helm:generate`).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { validateConfig } from '../src/config/loader.js';
import { chartFiles, SECRET_ENV, validatedObjects } from './deploy/helm-chart.js';
import { chartValues } from './deploy/helm-values.js';
import { appVersion, CHART_DIR } from './deploy/generate-helm.js';

type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- Kubernetes objects read in tests
const objects = () => new Map(validatedObjects().map(({ file, object }) => [file, object as Loose]));
const container = () => objects().get('deployment.yaml')!.spec.template.spec.containers[0] as Loose;

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? listFiles(join(dir, entry.name)) : [relative(CHART_DIR, join(dir, entry.name))]));
}

describe('Helm chart', () => {
  test('the checked-in chart is what the generator writes (run `npm run helm:generate` after changing it)', () => {
    const expected = chartFiles(appVersion());
    assert.deepEqual(listFiles(CHART_DIR).sort(), [...expected.keys()].sort());
    for (const [path, text] of expected) assert.equal(readFileSync(join(CHART_DIR, path), 'utf8'), text, `${path} differs from the generator's`);
  });

  test('every object is a valid Kubernetes object with the default values, and an invalid one is refused', () => {
    assert.deepEqual([...objects().keys()], ['configmap.yaml', 'secret.yaml', 'deployment.yaml', 'service.yaml', 'pdb.yaml', 'hpa.yaml']);
    const values = chartValues();
    values.ports.http = 'http' as never;
    assert.throws(() => validatedObjects(values), /templates\/deployment\.yaml: .*containerPort must be integer/);
  });

  test('probes /healthz and /readyz on the probe port, which is the config\'s probe listener', () => {
    const values = chartValues();
    const c = container();
    assert.deepEqual(c.ports.map((p: Loose) => [p.name, p.containerPort]), [['http', values.ports.http], ['probes', values.ports.probes]]);
    assert.equal(values.ports.probes, (values.config.probes as Loose).port);
    assert.equal(values.ports.http, (values.config.listeners as Loose[])[0]!.port);
    assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'probes' });
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'probes' });
    assert.deepEqual(c.startupProbe.httpGet, { path: '/healthz', port: 'probes' });
    const probes = values.config.probes as Loose;
    assert.equal(probes.enabled, true);
    assert.equal(probes.host, '0.0.0.0', 'kubelets probe from the node, not from loopback');
    assert.equal((values.config.admin as Loose).host, '127.0.0.1', 'the admin API stays on loopback');
  });

  test('sleeps before SIGTERM so load balancers drain first, within a grace period longer than sleep + drain + 7 s (and the template refuses a shorter one)', () => {
    const values = chartValues();
    const pod = objects().get('deployment.yaml')!.spec.template.spec as Loose;
    assert.deepEqual(container().lifecycle.preStop.exec.command, ['sleep', String(values.preStopSleepSeconds)]);
    assert.ok(values.preStopSleepSeconds >= 5);
    assert.ok(pod.terminationGracePeriodSeconds > values.preStopSleepSeconds + values.config.lifecycle.drainTimeoutMs / 1000 + 7);
    const deployment = chartFiles(appVersion()).get('templates/deployment.yaml')!;
    assert.match(deployment, /fail "terminationGracePeriodSeconds must exceed/);
    assert.deepEqual(objects().get('deployment.yaml')!.spec.strategy.rollingUpdate, { maxUnavailable: 0, maxSurge: 1 });
  });

  test('runs as a non-root user on a read-only root filesystem, without capabilities or a service account token', () => {
    const pod = objects().get('deployment.yaml')!.spec.template.spec as Loose;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.ok(pod.securityContext.runAsUser > 0);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.equal(pod.automountServiceAccountToken, false);
    const c = container();
    assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: ['ALL'] } });
    assert.deepEqual(c.volumeMounts.filter((m: Loose) => !m.readOnly).map((m: Loose) => m.mountPath).sort(), ['/tmp', '/var/lib/portcullis'], 'writable: only the data folder and /tmp');
  });

  test('reads its config from a ConfigMap and its secrets from a Secret, and the default config is one the gateway accepts', () => {
    const all = objects();
    const c = container();
    const config = parse(all.get('configmap.yaml')!.data['portcullis.yaml']);
    assert.deepEqual(config, chartValues().config);
    assert.deepEqual(c.volumeMounts.find((m: Loose) => m.name === 'config'), { name: 'config', mountPath: '/etc/portcullis', readOnly: true });
    // NODE_OPTIONS emptied first: no heap-snapshot or inspector flag reaches node (memory-exposure.test.ts).
    assert.deepEqual(c.env[0], { name: 'NODE_OPTIONS', value: '' });
    assert.deepEqual(c.env.slice(1).map((e: Loose) => [e.name, e.valueFrom.secretKeyRef.key]), SECRET_ENV.map(({ env, key }) => [env, key]));
    const referenced = [...JSON.stringify(config).matchAll(/\$\{env:([A-Z_]+)\}/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(referenced)].sort(), SECRET_ENV.map(({ env }) => env).sort(), 'every ${env:} of the config comes from the Secret');
    const env = { PORTCULLIS_DATABASE_URL: 'postgres://u:p@db:5432/portcullis', PORTCULLIS_KEY_PEPPER: 'p'.repeat(32), PORTCULLIS_ADMIN_TOKEN: 't'.repeat(24), PORTCULLIS_REDIS_PASSWORD: 'r' };
    const loaded = validateConfig(config, env);
    assert.ok(loaded.ok, loaded.ok ? '' : JSON.stringify(loaded.issues));
    assert.equal(loaded.config.store?.driver, 'postgres', 'PostgreSQL and Redis are external services');
    assert.ok(loaded.config.redis);
  });

  test('keeps nodes available through disruptions and scales on CPU (policy/v1 PDB, autoscaling/v2 HPA)', () => {
    const all = objects();
    assert.equal(all.get('pdb.yaml')!.apiVersion, 'policy/v1');
    assert.equal(all.get('pdb.yaml')!.spec.minAvailable, 1);
    const hpa = all.get('hpa.yaml')!;
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: all.get('deployment.yaml')!.metadata.name });
    assert.ok(hpa.spec.minReplicas >= 2 && hpa.spec.minReplicas > all.get('pdb.yaml')!.spec.minAvailable, 'a node can always be drained');
    const templates = chartFiles(appVersion());
    assert.match(templates.get('templates/hpa.yaml')!, /^{{- if \.Values\.autoscaling\.enabled }}/m);
    assert.match(templates.get('templates/deployment.yaml')!, /{{- if not \.Values\.autoscaling\.enabled }}\n\s+replicas: {{ \.Values\.replicaCount }}\n{{- end }}/, 'the HPA owns the count when on');
  });
});

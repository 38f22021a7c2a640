/**
 * The Helm chart in deploy/helm/portcullis, generated from Kubernetes objects built with
 * kubernetes-models (Helm itself is neither in Debian nor on npm, so it cannot run here). Every
 * object is built twice by the same function: once with the default values (values.yaml) and
 * validated against the Kubernetes OpenAPI schemas kubernetes-models carries; once with a marker
 * in place of each value, written as YAML, and the markers replaced with the Helm expressions.
 * So what the chart renders with its defaults is what was validated here (test/helm-chart.test.ts
 * checks both, and that the checked-in files are what this generates).
 */
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { stringify } from 'yaml';
import { chartValues, VALUES_YAML, type ChartValues } from './helm-values.js';

const CHART_NAME = 'portcullis';
const MARKER = /(["']?)@@(tpl|block|when)(\d+)@@\1/g;

/**
 * How an object builder gets its values: the defaults (validation), or markers that become Helm
 * expressions (templates). Each call says both what the value is by default and how Helm says it.
 */
export interface Helm {
  /** `.Values.<path>`, as it is (numbers, booleans) or quoted (strings: `quote: true`). */
  value<T>(path: string, options?: { quote?: boolean }): T;
  /** Any Helm expression, with the value it has under the default values. */
  expr<T>(expression: string, example: T): T;
  /**
   * A whole YAML block from an expression (`toYaml .Values.resources`, `include "…labels" .`);
   * `literal`: a string written as a YAML literal block (`key: |`), as ConfigMap data must be.
   */
  block<T>(expression: string, example: T, options?: { literal?: boolean }): T;
  /** A key present only when `condition` holds: `value` is written as `{{ expression }}`. */
  when<T>(condition: string, expression: string, example: T): T;
}

export interface ChartObject {
  /** File under templates/. */
  readonly file: string;
  /** Helm condition for the whole file (`.Values.autoscaling.enabled`), if any. */
  readonly condition?: string;
  /** A Helm statement put before the object (a `fail` guard), if any. */
  readonly guard?: string;
  readonly build: (h: Helm) => { validate(): void; toJSON(): unknown };
}

const get = (values: unknown, path: string): unknown => path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], values);

function defaultsHelm(values: ChartValues): Helm {
  return {
    // `| quote` makes a string of whatever the value is, as Helm does.
    value: <T>(path: string, options?: { quote?: boolean }) => (options?.quote ? String(get(values, path)) : get(values, path)) as T,
    expr: <T>(_expression: string, example: T) => example,
    block: <T>(_expression: string, example: T) => example,
    when: <T>(_condition: string, _expression: string, example: T) => example,
  };
}

interface Marked {
  readonly kind: 'tpl' | 'block' | 'when';
  readonly expression: string;
  readonly literal?: boolean;
  readonly condition?: string;
}

function markerHelm(marks: Marked[]): Helm {
  const mark = (entry: Marked) => `@@${entry.kind}${marks.push(entry) - 1}@@` as never;
  return {
    value: (path, options) => mark({ kind: 'tpl', expression: `.Values.${path}${options?.quote ? ' | quote' : ''}` }),
    expr: (expression) => mark({ kind: 'tpl', expression }),
    block: (expression, _example, options) => mark({ kind: 'block', expression, literal: options?.literal }),
    when: (condition, expression) => mark({ kind: 'when', expression, condition }),
  };
}

/** The names and labels every object shares (defined in templates/_helpers.tpl). */
const fullname = (h: Helm) => h.expr('include "portcullis.fullname" .', 'release-portcullis');
const labels = (h: Helm) => h.block('include "portcullis.labels" .', { 'app.kubernetes.io/name': CHART_NAME, 'app.kubernetes.io/instance': 'release', 'app.kubernetes.io/version': '0.1.0', 'app.kubernetes.io/managed-by': 'Helm', 'helm.sh/chart': `${CHART_NAME}-0.1.0` });
const selectorLabels = (h: Helm) => h.block('include "portcullis.selectorLabels" .', { 'app.kubernetes.io/name': CHART_NAME, 'app.kubernetes.io/instance': 'release' });
const secretName = (h: Helm) => h.expr('include "portcullis.secretName" .', 'release-portcullis');

/** Environment variable ← key of the Secret; the config references each as ${env:NAME}. */
export const SECRET_ENV: ReadonlyArray<{ env: string; key: string; optional: boolean }> = [
  { env: 'PORTCULLIS_DATABASE_URL', key: 'database-url', optional: false },
  { env: 'PORTCULLIS_KEY_PEPPER', key: 'key-pepper', optional: false },
  { env: 'PORTCULLIS_ADMIN_TOKEN', key: 'admin-token', optional: true },
  { env: 'PORTCULLIS_REDIS_PASSWORD', key: 'redis-password', optional: true },
];

const httpProbe = (path: string, periodSeconds: number, failureThreshold: number) => ({ httpGet: { path, port: 'probes' }, periodSeconds, timeoutSeconds: 2, failureThreshold });

const GRACE_GUARD =
  '{{- $drainSeconds := div (int (dig "lifecycle" "drainTimeoutMs" 10000 .Values.config)) 1000 }}\n' +
  '{{- if le (int .Values.terminationGracePeriodSeconds) (add (int .Values.preStopSleepSeconds) $drainSeconds 7) }}\n' +
  '{{- fail "terminationGracePeriodSeconds must exceed preStopSleepSeconds + config.lifecycle.drainTimeoutMs / 1000 + 7" }}\n' +
  '{{- end }}';

export const CHART_OBJECTS: readonly ChartObject[] = [
  {
    file: 'configmap.yaml',
    build: (h) => new ConfigMap({ metadata: { name: fullname(h), labels: labels(h) }, data: { 'portcullis.yaml': h.block('toYaml .Values.config', stringify(chartValues().config), { literal: true }) } }),
  },
  {
    file: 'secret.yaml',
    condition: 'not .Values.secrets.existingSecret',
    build: (h) => new Secret({ metadata: { name: fullname(h), labels: labels(h) }, type: 'Opaque', stringData: h.block('toYaml .Values.secrets.values', { 'database-url': 'postgres://u:p@db:5432/portcullis', 'key-pepper': 'p'.repeat(32) }) }),
  },
  {
    file: 'deployment.yaml',
    guard: GRACE_GUARD,
    build: (h) =>
      new Deployment({
        metadata: { name: fullname(h), labels: labels(h) },
        spec: {
          replicas: h.when('not .Values.autoscaling.enabled', '.Values.replicaCount', 2),
          // Surge first: a rolling upgrade never drops below the serving count.
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          selector: { matchLabels: selectorLabels(h) },
          template: {
            metadata: {
              labels: selectorLabels(h),
              annotations: {
                'checksum/config': h.expr('include (print $.Template.BasePath "/configmap.yaml") . | sha256sum', '0'.repeat(64)),
                'checksum/secret': h.expr('include (print $.Template.BasePath "/secret.yaml") . | sha256sum', '0'.repeat(64)),
              },
            },
            spec: {
              automountServiceAccountToken: false,
              terminationGracePeriodSeconds: h.value<number>('terminationGracePeriodSeconds'),
              securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
              topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selectorLabels(h) } }],
              containers: [
                {
                  name: CHART_NAME,
                  image: h.expr('printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) | quote', 'portcullis:0.1.0'),
                  imagePullPolicy: h.value<'IfNotPresent'>('image.pullPolicy'),
                  ports: [
                    { name: 'http', containerPort: h.value<number>('ports.http'), protocol: 'TCP' },
                    { name: 'probes', containerPort: h.value<number>('ports.probes'), protocol: 'TCP' },
                  ],
                  // NODE_OPTIONS empty: no heap-snapshot, inspector or report flag from the environment
                  // (a copy of the memory holds the vault's secrets; core dumps are off in the image).
                  env: [{ name: 'NODE_OPTIONS', value: '' }, ...SECRET_ENV.map(({ env, key, optional }) => ({ name: env, valueFrom: { secretKeyRef: { name: secretName(h), key, optional } } }))],
                  startupProbe: httpProbe('/healthz', 2, 30),
                  livenessProbe: httpProbe('/healthz', 10, 3),
                  readinessProbe: httpProbe('/readyz', 5, 2),
                  lifecycle: { preStop: { exec: { command: ['sleep', h.value<string>('preStopSleepSeconds', { quote: true })] } } },
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: ['ALL'] } },
                  resources: h.block('toYaml .Values.resources', chartValues().resources),
                  volumeMounts: [
                    { name: 'config', mountPath: '/etc/portcullis', readOnly: true },
                    { name: 'data', mountPath: '/var/lib/portcullis' },
                    { name: 'tmp', mountPath: '/tmp' },
                  ],
                },
              ],
              volumes: [
                { name: 'config', configMap: { name: fullname(h) } },
                { name: 'data', emptyDir: {} },
                { name: 'tmp', emptyDir: {} },
              ],
            },
          },
        },
      }),
  },
  {
    file: 'service.yaml',
    build: (h) =>
      new Service({
        metadata: { name: fullname(h), labels: labels(h) },
        spec: { type: h.value<'ClusterIP'>('service.type'), selector: selectorLabels(h), ports: [{ name: 'http', port: h.value<number>('service.port'), targetPort: 'http', protocol: 'TCP' }] },
      }),
  },
  {
    file: 'pdb.yaml',
    condition: '.Values.podDisruptionBudget.enabled',
    build: (h) => new PodDisruptionBudget({ metadata: { name: fullname(h), labels: labels(h) }, spec: { minAvailable: h.value<number>('podDisruptionBudget.minAvailable'), selector: { matchLabels: selectorLabels(h) } } }),
  },
  {
    file: 'hpa.yaml',
    condition: '.Values.autoscaling.enabled',
    build: (h) =>
      new HorizontalPodAutoscaler({
        metadata: { name: fullname(h), labels: labels(h) },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: fullname(h) },
          minReplicas: h.value<number>('autoscaling.minReplicas'),
          maxReplicas: h.value<number>('autoscaling.maxReplicas'),
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: h.value<number>('autoscaling.targetCPUUtilizationPercentage') } } }],
        },
      }),
  },
];

/** Every object with the default values, validated (throws on the first invalid one, naming its file). */
export function validatedObjects(values = chartValues()): Array<{ file: string; object: Record<string, unknown> }> {
  const h = defaultsHelm(values);
  return CHART_OBJECTS.map(({ file, build }) => {
    const object = build(h);
    try {
      object.validate();
    } catch (error) {
      throw new Error(`templates/${file}: ${(error as Error).message}`, { cause: error });
    }
    return { file, object: object.toJSON() as Record<string, unknown> };
  });
}

/** One template: the object written with markers, the markers replaced by Helm expressions. */
function template({ build, condition, guard }: ChartObject): string {
  const marks: Marked[] = [];
  const yaml = stringify(build(markerHelm(marks)).toJSON(), { lineWidth: 0 });
  const lines = yaml.split('\n').flatMap((line) => {
    const whole = /^(\s*)(- )?([\w./-]+): (["']?)@@(block|when)(\d+)@@\4$/.exec(line);
    if (whole) {
      const [, indent = '', dash = '', key, , kind, index] = whole;
      const mark = marks[Number(index)]!;
      if (kind === 'block') return [`${indent}${dash}${key}:${mark.literal ? ' |' : ''}`, `{{- ${mark.expression} | nindent ${indent.length + dash.length + 2} }}`];
      return [`{{- if ${mark.condition} }}`, `${indent}${dash}${key}: {{ ${mark.expression} }}`, '{{- end }}'];
    }
    return [line.replace(MARKER, (_, _quote: string, _kind: string, index: string) => `{{ ${marks[Number(index)]!.expression} }}`)];
  });
  const body = lines.join('\n').trimEnd();
  const parts = [guard, condition ? `{{- if ${condition} }}` : undefined, body, condition ? '{{- end }}' : undefined].filter((part) => part !== undefined);
  return `${parts.join('\n')}\n`;
}

const HELPERS_TPL = `{{/* Names and labels shared by every object of the chart. */}}
{{- define "portcullis.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{ else }}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{ end }}
{{- end }}

{{- define "portcullis.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "portcullis.labels" -}}
{{ include "portcullis.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "portcullis.secretName" -}}
{{ .Values.secrets.existingSecret | default (include "portcullis.fullname" .) }}
{{- end }}
`;

const HELMIGNORE = `# Not packaged with the chart.
.git
*.swp
*.tmp
`;

/** Every file of deploy/helm/portcullis, path relative to the chart folder → content. */
export function chartFiles(appVersion: string): Map<string, string> {
  const header = '# Generated by test/deploy/helm-chart.ts (npm run helm:generate): edit there, not here.\n';
  const files = new Map<string, string>();
  files.set(
    'Chart.yaml',
    `${header}${stringify({
      apiVersion: 'v2',
      name: CHART_NAME,
      description: 'Portcullis, a self-hosted gateway that secures API integrations in both directions',
      type: 'application',
      version: appVersion,
      appVersion,
      // policy/v1 PodDisruptionBudget and autoscaling/v2 HorizontalPodAutoscaler are GA from 1.23.
      kubeVersion: '>=1.23.0-0',
    }, { lineWidth: 0 })}`,
  );
  files.set('values.yaml', VALUES_YAML);
  files.set('.helmignore', HELMIGNORE);
  files.set('templates/_helpers.tpl', HELPERS_TPL);
  for (const object of CHART_OBJECTS) files.set(`templates/${object.file}`, `${header}${template(object)}`);
  return files;
}

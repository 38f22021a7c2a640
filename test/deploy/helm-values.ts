/**
 * The Helm chart's values.yaml, as written to deploy/helm/portcullis/values.yaml (comments kept),
 * and parsed: the defaults the chart's objects are validated with (test/deploy/helm-chart.ts).
 */
import { parse } from 'yaml';

export const VALUES_YAML = `# Values of the Portcullis chart. Generated with the chart from test/deploy/helm-chart.ts
# (npm run helm:generate); edit there, not here.

image:
  repository: portcullis
  # Empty: the chart's appVersion (the gateway's version).
  tag: ""
  pullPolicy: IfNotPresent

# Ignored while autoscaling is on (the HorizontalPodAutoscaler owns the count).
replicaCount: 2

autoscaling:
  enabled: true
  minReplicas: 2
  maxReplicas: 10
  targetCPUUtilizationPercentage: 70

podDisruptionBudget:
  enabled: true
  # Never fewer nodes serving than this during voluntary disruptions (drains, upgrades).
  minAvailable: 1

service:
  type: ClusterIP
  port: 80

# Container ports: must match config.listeners[0].port and config.probes.port below.
ports:
  http: 8080
  probes: 9902

# After the pod is marked for termination the endpoints controller and the load balancers take a
# few seconds to stop sending it traffic: the gateway keeps serving through this sleep, and only
# then gets SIGTERM and drains (config.lifecycle.drainTimeoutMs).
preStopSleepSeconds: 10
# Must exceed preStopSleepSeconds + drainTimeoutMs / 1000 + 7 (the gateway exits within
# drainTimeoutMs + 7 s of SIGTERM); the chart refuses to render otherwise.
terminationGracePeriodSeconds: 45

resources:
  requests:
    cpu: 500m
    memory: 256Mi
  limits:
    memory: 512Mi

# Secrets reach the gateway as environment variables that the config references as \${env:NAME}.
secrets:
  # Name of a Secret you manage with the keys below (recommended: sealed or external secrets).
  # Empty: the chart makes one from \`values\`.
  existingSecret: ""
  values:
    # postgres://user:password@host:5432/db (external PostgreSQL) -> PORTCULLIS_DATABASE_URL
    database-url: ""
    # At least 32 characters -> PORTCULLIS_KEY_PEPPER
    key-pepper: ""
    # At least 24 characters -> PORTCULLIS_ADMIN_TOKEN
    admin-token: ""
    # The external Redis's password -> PORTCULLIS_REDIS_PASSWORD
    redis-password: ""

# The gateway's config (portcullis.yaml, see docs/configuration.md), mounted from a ConfigMap at
# /etc/portcullis/portcullis.yaml. A change rolls the pods (checksum annotation).
config:
  listeners:
    - name: public
      host: 0.0.0.0
      port: 8080
  # Loopback inside the pod: reach it with kubectl port-forward, never through a Service.
  admin:
    host: 127.0.0.1
    port: 9901
    token: \${env:PORTCULLIS_ADMIN_TOKEN}
  # Kubelet probes (/healthz, /readyz) come from the node: this listener serves nothing else.
  probes:
    enabled: true
    host: 0.0.0.0
    port: 9902
  store:
    driver: postgres
    url: \${env:PORTCULLIS_DATABASE_URL}
  apiKeys:
    pepper: \${env:PORTCULLIS_KEY_PEPPER}
  redis:
    url: redis://redis.example.internal:6379
    password: \${env:PORTCULLIS_REDIS_PASSWORD}
  # The pod network's range, where the ingress controller's requests come from.
  trustedProxies: [10.0.0.0/8]
  lifecycle:
    drainTimeoutMs: 20000
    # A new config arrives as a new ConfigMap and rolls the pods.
    watchConfigFile: false
  upstreams:
    backend:
      targets: [http://backend.default.svc.cluster.local:8080]
      # Egress control (docs/outbound.md): a plain-http service in the cluster, by name, on the
      # pod/service network. Narrow allowAddresses to your cluster's service range.
      egress:
        allowHttp: true
        allowAddresses: [10.0.0.0/8]
  policies:
    auth-apikey: {}
  routes:
    - name: all
      methods: [GET, POST, PUT, PATCH, DELETE]
      path: /*
      upstream: backend
`;

export interface ChartValues {
  image: { repository: string; tag: string; pullPolicy: string };
  replicaCount: number;
  autoscaling: { enabled: boolean; minReplicas: number; maxReplicas: number; targetCPUUtilizationPercentage: number };
  podDisruptionBudget: { enabled: boolean; minAvailable: number };
  service: { type: string; port: number };
  ports: { http: number; probes: number };
  preStopSleepSeconds: number;
  terminationGracePeriodSeconds: number;
  resources: Record<string, Record<string, string>>;
  secrets: { existingSecret: string; values: Record<string, string> };
  config: Record<string, unknown> & { lifecycle: { drainTimeoutMs: number } };
}

export function chartValues(): ChartValues {
  return parse(VALUES_YAML) as ChartValues;
}

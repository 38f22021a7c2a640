/**
 * Keeps docs/observability.md and the Grafana dashboard in step with the metrics the gateway
 * really exports: the documented list equals the names a running gateway serves on /metrics plus
 * the ones registered only with a feature on (declared in the source: audit sinks, workers), both
 * ways; and every metric a dashboard query uses is one of them.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { baseConfig, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** The metric names in the tables of docs/observability.md (first column). */
function documentedNames(): Set<string> {
  return new Set([...read('docs/observability.md').matchAll(/^\| `(portcullis_[a-z0-9_]+)` \|/gm)].map((match) => match[1]!));
}

/** Every `name: 'portcullis_…'` a metric is declared with in src/ (outside tests). */
function declaredNames(dir = join(root, 'src')): Set<string> {
  const names = new Set<string>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) for (const name of declaredNames(path)) names.add(name);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      for (const match of readFileSync(path, 'utf8').matchAll(/name: '(portcullis_[a-z0-9_]+)'/g)) names.add(match[1]!);
    }
  }
  return names;
}

let upstream: TestUpstream;
let gw: TestGateway;
let served: Set<string>;

before(async () => {
  upstream = await startUpstream();
  gw = await startGateway(baseConfig([upstream.url]));
  await httpRequest(`${gw.url}/x`);
  const metrics = await httpRequest(`${gw.gateway.adminUrl}/metrics`);
  served = new Set([...metrics.text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((match) => match[1]!));
});
after(async () => {
  await gw.close();
  await upstream.close();
});

test('docs/observability.md lists every metric the gateway exports, and no other', () => {
  const documented = documentedNames();
  const exported = new Set([...served, ...declaredNames()]);
  assert.ok(served.has('portcullis_requests_total') && served.size > 30, 'the /metrics answer was read');
  assert.deepEqual([...exported].filter((name) => !documented.has(name)).sort(), [], 'exported but missing from docs/observability.md (add a row to its Metrics table)');
  assert.deepEqual([...documented].filter((name) => !exported.has(name)).sort(), [], 'in docs/observability.md but not exported');
});

test('every metric the Grafana dashboard queries is one the gateway exports', () => {
  const dashboard = JSON.parse(read('docs/grafana/portcullis.json')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }>; templating: { list: Array<{ definition?: string }> } };
  const exported = new Set([...served, ...declaredNames()]);
  const queries = [...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)), ...dashboard.templating.list.flatMap((variable) => variable.definition ?? [])];
  assert.ok(dashboard.panels.length >= 10 && queries.length >= 10);
  const used = new Set(queries.flatMap((expr) => [...expr.matchAll(/\b(portcullis_[a-z0-9_]+)\b/g)].map((match) => match[1]!.replace(/_(bucket|sum|count)$/, ''))));
  assert.deepEqual([...used].filter((name) => !exported.has(name)).sort(), [], 'dashboard queries use metrics the gateway does not export');
  // Histogram suffixes only on histograms.
  for (const expr of queries) for (const match of expr.matchAll(/\b(portcullis_[a-z0-9_]+)_bucket\b/g)) assert.ok(served.has(match[1]!), `${match[1]} is a served histogram`);
});

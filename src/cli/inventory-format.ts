/**
 * How `portcullis inventory` prints the report: a table (one line per route, the columns an
 * operator scans), CSV (RFC 4180: every field, for spreadsheets) or JSON (the admin API's answer).
 */
import type { DeprecatedRouteUsage, InventoryEntry, ShadowReport } from '../admin/inventory/inventory-report.js';
import { table } from './admin-client.js';

/** The table's columns: what is exposed, to whom, under which contract and version, and how much it is used. */
export function inventoryTable(routes: readonly InventoryEntry[]): string {
  return table(routes.map(summaryRow), ['route', 'methods', 'path', 'upstream', 'contract', 'version', 'owner', 'auth', 'scopes', 'lifecycle', 'req_24h', 'consumers_30d']);
}

function summaryRow(route: InventoryEntry): Record<string, unknown> {
  return {
    route: route.name,
    methods: route.methods.join(','),
    path: route.host ? `${route.host}${route.path}` : route.path,
    upstream: route.upstream,
    contract: route.contract ? `${route.contract} ${route.operations.join(',') || '(no operation)'}` : null,
    version: route.version,
    owner: route.owner,
    auth: route.authentication.length > 0 ? `${route.authentication.join(',')}${route.authenticationRequirement === 'optional' ? ' (optional)' : ''}` : route.public ? 'public' : 'none',
    scopes: route.scopes,
    lifecycle: route.lifecycle.state === 'active' ? 'active' : `${route.lifecycle.state}${route.lifecycle.sunset ? ` (sunset ${route.lifecycle.sunset})` : ''}`,
    req_24h: route.traffic?.last24h.requests ?? null,
    consumers_30d: route.traffic?.last30d.consumers ?? null,
  };
}

const CSV_COLUMNS = ['name', 'methods', 'host', 'path', 'upstream', 'egress', 'contract', 'operations', 'wholeContract', 'version', 'owner', 'tags', 'authentication', 'authenticationRequirement', 'public', 'scopes', 'methodScopes', 'rateLimits', 'validation', 'fieldsResponse', 'fieldsRequest', 'lifecycle', 'deprecated', 'sunset', 'successor', 'requests24h', 'errors24h', 'consumers24h', 'requests30d', 'errors30d', 'consumers30d'] as const;

/** RFC 4180 §2: fields with a comma, quote or line break are quoted, quotes doubled; lines end with CRLF. */
export function inventoryCsv(routes: readonly InventoryEntry[]): string {
  const quote = (value: unknown) => {
    const text = value === null || value === undefined ? '' : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = [CSV_COLUMNS.join(','), ...routes.map((route) => csvRow(route).map(quote).join(','))];
  return lines.join('\r\n') + '\r\n';
}

function csvRow(route: InventoryEntry): unknown[] {
  const validation = route.validation.enabled ? `body:${route.validation.unknownBodyProperties} query:${route.validation.unknownQueryParameters} responses:${route.validation.responses}` : 'off';
  const methodScopes = Object.entries(route.methodScopes).map(([method, scopes]) => `${method}=${scopes.join('+')}`).join(' ');
  const limits = route.rateLimits.map((limit) => `${limit.name}=${limit.limit}/${limit.windowSeconds}s`).join(' ');
  const t = route.traffic;
  return [route.name, route.methods.join(' '), route.host, route.path, route.upstream, route.egress.join(' '), route.contract, route.operations.join(' '), route.wholeContract, route.version, route.owner, route.tags.join(' '), route.authentication.join(' '), route.authenticationRequirement, route.public, route.scopes.join(' '), methodScopes, limits, validation, route.fieldMinimisation.response, route.fieldMinimisation.request, route.lifecycle.state, route.lifecycle.deprecated, route.lifecycle.sunset, route.lifecycle.successor, t?.last24h.requests, t?.last24h.errors, t?.last24h.consumers, t?.last30d.requests, t?.last30d.errors, t?.last30d.consumers];
}

/** `--shadow`: three sections, each a table or a line saying there is nothing. */
export function shadowText(view: ShadowReport): string {
  const section = (title: string, rows: Array<Record<string, unknown>>, columns: string[], none: string) => `${title}\n${rows.length === 0 ? `  ${none}\n` : table(rows, columns)}`;
  return [
    section('Routes without a contract:', view.uncontracted.map((row) => ({ ...row, methods: row.methods.join(',') })), ['route', 'methods', 'path'], 'none'),
    section('Contract operations no route serves:', view.unrouted.map((row) => ({ ...row })), ['contract', 'operation', 'method', 'path'], 'none'),
    view.unmatched === null
      ? 'Requests no contract operation matched:\n  (needs the running gateway: without --config)\n'
      : section('Requests no contract operation matched (30 days):', view.unmatched.map((row) => ({ ...row })), ['route', 'method', 'template', 'count', 'lastSeen'], 'none'),
  ].join('\n');
}

/** `--deprecated [--by-consumer]`: one line per route, or per route and caller. */
export function deprecatedText(view: { routes: readonly DeprecatedRouteUsage[] }, byConsumer: boolean): string {
  if (view.routes.length === 0) return 'no route is deprecated, announced or sunset\n';
  if (!byConsumer) return table(view.routes.map((route) => ({ ...route, callers: route.consumers === null ? null : route.consumers.length })), ['route', 'state', 'deprecated', 'sunset', 'successor', 'callers']);
  const rows = view.routes.flatMap((route): Array<Record<string, unknown>> =>
    route.consumers === null || route.consumers.length === 0
      ? [{ route: route.route, state: route.state, sunset: route.sunset, consumer: route.consumers === null ? '(no store)' : '(no caller in 30 days)', requests: null, lastSeen: null }]
      : route.consumers.map((caller) => ({ route: route.route, state: route.state, sunset: route.sunset, consumer: caller.consumer, requests: caller.requests, lastSeen: caller.lastSeen })),
  );
  return table(rows, ['route', 'state', 'sunset', 'consumer', 'requests', 'lastSeen']);
}

/**
 * Rules over catalogued log events (core/log-events.ts), counted from the logger's tap
 * (event-window.ts): a refused reload, failed admin logins, brute-force blocks, stale CRLs,
 * upstream credentials in trouble; and the meta-rule over the alert sinks themselves.
 */
import { LOG_EVENTS, type LogEvent } from '../../core/log-events.js';
import { BACKGROUND_FAILURES } from '../event-map.js';
import type { EventOccurrence } from '../event-window.js';
import type { Finding, RuleContext, RuleEvaluator } from './rule.js';

export const configReloadRejected: RuleEvaluator = {
  metrics: [],
  evaluate({ events }) {
    const newest = (names: readonly LogEvent[]) => names.map((name) => events.last(name)).reduce<EventOccurrence | undefined>((a, b) => (!a || (b && b.at >= a.at) ? b : a), undefined);
    // Under --workers, cluster.reload_failed: some workers refused a config the primary validated.
    const rejected = newest(['config.reload_rejected', 'cluster.reload_failed']);
    const reloaded = newest(['config.reloaded', 'cluster.reloaded']);
    if (!rejected || (reloaded && reloaded.at >= rejected.at)) return [];
    return [
      {
        labels: {},
        summary: 'the last config reload was refused',
        description: `A reload at ${new Date(rejected.at).toISOString()} was refused (see config.reload_rejected): the gateway serves the previous config, not the file's.`,
      },
    ];
  },
};

export const adminLoginFailures: RuleEvaluator = {
  metrics: [],
  evaluate({ events, now, thresholds }) {
    const since = now - thresholds.windowSeconds! * 1000;
    // Wrong passwords and second factors at login, and wrong admin tokens or sessions on the API.
    const failures = events.since('admin.login_failed', since).length + events.since('admin.auth_failed', since).length + events.since('admin.sso_failed', since).length;
    if (failures < thresholds.failures!) return [];
    return [{ labels: {}, value: failures, summary: `${failures} failed admin logins in ${thresholds.windowSeconds} s`, description: `${failures} admin logins or step-ups failed over the last ${thresholds.windowSeconds} s (see admin.login_failed): someone guessing passwords?` }];
  },
};

export const bruteForceBlocks: RuleEvaluator = {
  metrics: [],
  evaluate({ events, now, thresholds }) {
    const since = now - thresholds.windowSeconds! * 1000;
    const findings: Finding[] = [];
    for (const [scope, event] of [['data', 'auth.client_blocked'], ['admin', 'admin.login_locked']] as const) {
      const blocks = events.since(event, since).length;
      if (blocks >= thresholds.blocks!) findings.push({ labels: { scope }, value: blocks, summary: `${blocks} ${scope === 'data' ? 'clients' : 'admin logins'} blocked by brute-force protection`, description: `Brute-force protection blocked ${blocks} times (${event}) over the last ${thresholds.windowSeconds} s.` });
    }
    return findings;
  },
};

/** Per value of `field`: the newest occurrence of any of `events`, with the event it was. */
function newestBy(context: RuleContext, events: readonly LogEvent[], field: string): Map<string, { event: LogEvent; occurrence: EventOccurrence }> {
  const out = new Map<string, { event: LogEvent; occurrence: EventOccurrence }>();
  for (const event of events) {
    for (const [key, occurrence] of context.events.lastBy(event, field)) {
      const seen = out.get(key);
      if (!seen || seen.occurrence.at <= occurrence.at) out.set(key, { event, occurrence });
    }
  }
  return out;
}

export const crlStale: RuleEvaluator = {
  metrics: [],
  evaluate(context) {
    const findings: Finding[] = [];
    for (const [listener, { event, occurrence }] of newestBy(context, ['crl.stale', 'crl.refresh_failed', 'crl.loaded'], 'listener')) {
      if (event === 'crl.loaded') continue;
      findings.push({
        labels: { listener },
        summary: `a CRL of listener ${listener} is ${event === 'crl.stale' ? 'past its nextUpdate' : 'not refreshed'}`,
        description: `${event} at ${new Date(occurrence.at).toISOString()}: client certificates on listener ${listener} are checked against an old CRL, or whenUnavailable decides.`,
      });
    }
    return findings;
  },
};

const CREDENTIAL_TROUBLE: Partial<Record<LogEvent, string>> = {
  'credentials.expiring': 'expiring',
  'credentials.expired': 'expired',
  'credentials.quarantined': 'quarantined',
  'credentials.revoked': 'revoked',
  'credentials.unavailable': 'unavailable',
};

export const credentialExpiry: RuleEvaluator = {
  metrics: [],
  evaluate(context) {
    const findings: Finding[] = [];
    const events = [...(Object.keys(CREDENTIAL_TROUBLE) as LogEvent[]), 'credentials.released', 'credentials.token_obtained'] as LogEvent[];
    for (const [credential, { event, occurrence }] of newestBy(context, events, 'credential')) {
      const reason = CREDENTIAL_TROUBLE[event];
      if (reason === undefined) continue;
      findings.push({
        labels: { credential, reason },
        summary: `upstream credential ${credential} is ${reason}`,
        description: `${event} at ${new Date(occurrence.at).toISOString()}: replace, renew or release credential ${credential} (docs/upstream-credentials.md).`,
      });
    }
    return findings;
  },
};

export const keyAge: RuleEvaluator = {
  metrics: [],
  evaluate({ events, now, thresholds, gateway }) {
    const counts = new Map<string, number>();
    for (const occurrence of events.since('credentials.refresh_failed', now - thresholds.windowSeconds! * 1000)) {
      const credential = occurrence.fields.credential ?? '';
      counts.set(credential, (counts.get(credential) ?? 0) + 1);
    }
    const findings: Finding[] = [...counts]
      .filter(([, count]) => count >= thresholds.refreshFailures!)
      .map(([credential, count]) => ({ labels: { credential }, value: count, summary: `token refresh of credential ${credential} failing`, description: `${count} token requests for upstream credential ${credential} failed over the last ${thresholds.windowSeconds} s: the token in use ages towards its expiry.` }));
    // API keys past the age policy: one alert per consumer, its key ids (never a secret) in the text.
    for (const aged of gateway.agedKeys()) {
      const listed = aged.oldest.map((key) => `${key.id} (${key.ageDays} days)`).join(', ');
      const more = aged.count > aged.oldest.length ? ` and ${aged.count - aged.oldest.length} more` : '';
      findings.push({
        labels: { consumer: aged.consumerId },
        value: aged.count,
        summary: `${aged.count} API key${aged.count === 1 ? '' : 's'} of consumer ${aged.consumerName} past the key-age policy (${aged.maxAgeDays} days)`,
        description: `Consumer ${aged.consumerName} (${aged.consumerId}) still has usable API keys created ${aged.maxAgeDays} days ago or more: ${listed}${more}. Rotate them (portcullis keys rotate <id>) or revoke them.`,
      });
    }
    return findings;
  },
};

export const backgroundTaskFailed: RuleEvaluator = {
  metrics: [],
  evaluate({ events, now, thresholds }) {
    const findings: Finding[] = [];
    for (const event of BACKGROUND_FAILURES) {
      const count = events.since(event, now - thresholds.windowSeconds! * 1000).length;
      if (count >= thresholds.occurrences! && count > 0) findings.push({ labels: { event }, value: count, summary: `${event} (${count} in ${thresholds.windowSeconds} s)`, description: `${LOG_EVENTS[event].meaning} Logged ${count} times over the last ${thresholds.windowSeconds} s: the log lines carry the details.` });
    }
    return findings;
  },
};

export const alertSinkFailing: RuleEvaluator = {
  metrics: [],
  evaluate({ gateway, now, sinkFailingAfterSeconds }) {
    return gateway
      .failingSinks()
      .filter((sink) => now - sink.failingSince >= sinkFailingAfterSeconds * 1000)
      .map((sink) => ({
        labels: { sink: sink.sink },
        summary: `alert sink ${sink.sink} has failed for ${Math.round((now - sink.failingSince) / 60000)} min`,
        description: `Every delivery to alert sink ${sink.sink} since ${new Date(sink.failingSince).toISOString()} failed (${sink.reason}): its alerts are queued and retried.`,
      }));
  },
};

const REGRESSION_SEVERITIES = new Set(['critical', 'warning', 'info']);

/**
 * assess.provider_security_regression (server/assessments.ts): fires per upstream and reason while
 * the newest of its regression and recovery events is a regression, however old (a state rule:
 * it resolves when a later assessment logs assess.provider_security_recovered, never on time).
 */
export const providerSecurityRegression: RuleEvaluator = {
  metrics: [],
  evaluate({ events }) {
    const newest = new Map<string, EventOccurrence & { recovered: boolean }>();
    for (const [event, recovered] of [['assess.provider_security_regression', false], ['assess.provider_security_recovered', true]] as const) {
      for (const occurrence of events.since(event, 0)) {
        const key = `${occurrence.fields.upstream ?? ''}\u0000${occurrence.fields.reason ?? ''}`;
        const seen = newest.get(key);
        // On a tie the recovery wins: one run never both opens and ends the same regression.
        if (!seen || seen.at < occurrence.at || (seen.at === occurrence.at && recovered)) newest.set(key, { ...occurrence, recovered });
      }
    }
    return [...newest.values()].filter((occurrence) => !occurrence.recovered).map(({ at, fields }) => {
      const upstream = fields.upstream ?? '';
      const reason = fields.reason ?? '';
      const severity = REGRESSION_SEVERITIES.has(fields.severity ?? '') ? (fields.severity as 'critical' | 'warning' | 'info') : undefined;
      const summary = reason === 'certificate_expiring' ? `the certificate of upstream ${upstream} expires in ${fields.daysLeft ?? '?'} days` : `upstream ${upstream} graded ${fields.to ?? '?'}, was ${fields.from ?? '?'}`;
      return {
        labels: { upstream, reason },
        summary,
        description: `Continuous assessment at ${new Date(at).toISOString()}: ${summary} (GET /v1/assessments?upstream=${upstream} lists the findings; docs/assess.md).`,
        ...(severity ? { severity } : {}),
      };
    });
  },
};

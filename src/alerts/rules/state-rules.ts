/**
 * Rules over the state of dependencies and certificates (docs/alerts.md#rules): read from the
 * gauges the gateway already exports (portcullis_dependency_up, portcullis_audit_sink_up,
 * portcullis_certificate_expiry_seconds), so `alerts export --format prometheus-rules` states the
 * same conditions over the same series.
 */
import type { AlertSeverity } from '../notification.js';
import type { Finding, RuleEvaluator } from './rule.js';

const DEPENDENCY_UP = 'portcullis_dependency_up';

/** Dependencies whose name matches `pattern` and whose gauge says 0. */
function dependenciesDown(pattern: RegExp, describe: (name: string, match: RegExpMatchArray) => Finding): RuleEvaluator {
  return {
    metrics: [DEPENDENCY_UP],
    evaluate(context) {
      const findings: Finding[] = [];
      for (const sample of context.history.latest(DEPENDENCY_UP)) {
        const match = (sample.labels.dependency ?? '').match(pattern);
        if (match && sample.value === 0) findings.push(describe(sample.labels.dependency!, match));
      }
      return findings;
    },
  };
}

export const storeUnavailable = dependenciesDown(/^store$/, () => ({
  labels: {},
  summary: 'the store does not answer',
  description: 'The store (SQLite or PostgreSQL) fails: admin writes are refused with 503 and keys, consumers and OAuth state serve as last loaded (see store.unreachable, dependency.unavailable).',
}));

export const redisUnavailable = dependenciesDown(/^redis$/, () => ({
  labels: {},
  summary: 'Redis for rate limits does not answer: the fallback is in use',
  description: 'Redis does not answer: rate-limit policies apply their onStoreFailure fallback (local limits, or refusing) until it is back (see ratelimit.store_unavailable).',
}));

export const jwksStale = dependenciesDown(/^issuer:(.+)$/, (_name, match) => ({
  labels: { issuer: match[1]! },
  summary: `the keys of issuer ${match[1]} cannot be refreshed`,
  description: `Discovery or JWKS fetches for ${match[1]} fail: cached keys serve until they are too old, then its tokens are refused (see jwks.serving_stale, jwks.keys_expired).`,
}));

export const auditSinkFailing: RuleEvaluator = {
  metrics: ['portcullis_audit_sink_up'],
  evaluate(context) {
    return context.history
      .latest('portcullis_audit_sink_up')
      .filter((sample) => sample.value === 0)
      .map((sample) => ({
        labels: { sink: sample.labels.sink ?? '' },
        summary: `audit sink ${sample.labels.sink} does not take records`,
        description: `Audit sink ${sample.labels.sink} fails: records are kept (buffer) or admin writes are refused (block) until it is back (see audit.sink_failing).`,
      }));
  },
};

export const certificateExpiry: RuleEvaluator = {
  metrics: ['portcullis_certificate_expiry_seconds'],
  evaluate(context) {
    const t = context.thresholds;
    const findings: Finding[] = [];
    for (const sample of context.history.latest('portcullis_certificate_expiry_seconds')) {
      const days = sample.value / 86400;
      if (days > t.infoDays!) continue;
      const severity: AlertSeverity = days <= t.criticalDays! ? 'critical' : days <= t.warningDays! ? 'warning' : 'info';
      const { kind = '', name = '', subject = '', serial = '' } = sample.labels;
      findings.push({
        labels: { kind, name, subject },
        value: days,
        severity,
        summary:
          kind === 'crl'
            ? days <= 0
              ? `the CRL of CA ${name} is past its nextUpdate`
              : `the CRL of CA ${name} reaches its nextUpdate in ${days.toFixed(1)} days`
            : days <= 0
              ? `${kind} certificate ${name} has expired`
              : `${kind} certificate ${name} expires in ${days.toFixed(1)} days`,
        description: `The ${kind} certificate ${name} (subject ${subject}, serial ${serial}) ${days <= 0 ? 'expired' : 'expires'} ${new Date(context.now + sample.value * 1000).toISOString()}.`,
      });
    }
    return findings;
  },
};

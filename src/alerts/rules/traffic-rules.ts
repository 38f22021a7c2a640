/**
 * Rules over request traffic (docs/alerts.md#rules): per route 5xx ratio and p99 latency, upstream
 * health, limits, contract validation, egress, and 401/403 spikes per consumer or client IP. Each
 * reads the latency histograms and counters the gateway already keeps (observability/metrics.ts),
 * as increases over a window, so the request path does no extra work for them.
 */
import { histogramQuantile, sumBy } from '../metric-history.js';
import { percent, type Finding, type RuleContext, type RuleEvaluator } from './rule.js';

const REQUESTS = 'portcullis_requests_total';
const DURATION = 'portcullis_request_duration_seconds';

function upstreamOf(context: RuleContext): Map<string, string> {
  return new Map(context.gateway.routes().map((route) => [route.name, route.upstream]));
}

/** 5xx ratio per route over a window: `{ route → { ratio, requests } }` for routes with at least minRequests. */
function errorRatios(context: RuleContext, windowSeconds: number, minRequests: number): Map<string, { ratio: number; requests: number }> {
  const out = new Map<string, { ratio: number; requests: number }>();
  const all = context.history.increase(REQUESTS, windowSeconds, context.now);
  const total = sumBy(all, ['route']);
  const failed = sumBy(all.filter((sample) => sample.labels.status === '5xx'), ['route']);
  for (const [key, { labels, value }] of total) {
    if (value < minRequests || labels.route === '(none)') continue;
    out.set(labels.route!, { ratio: (failed.get(key)?.value ?? 0) / value, requests: value });
  }
  return out;
}

export const routeErrorRatio: RuleEvaluator = {
  metrics: [REQUESTS],
  evaluate(context) {
    const t = context.thresholds;
    const fast = errorRatios(context, t.fastWindowSeconds!, t.minRequests!);
    const slow = errorRatios(context, t.slowWindowSeconds!, t.minRequests!);
    const upstreams = upstreamOf(context);
    const findings: Finding[] = [];
    for (const route of new Set([...fast.keys(), ...slow.keys()])) {
      const f = fast.get(route);
      const s = slow.get(route);
      const fastBurn = f !== undefined && f.ratio >= t.fastRatio!;
      const slowBurn = s !== undefined && s.ratio >= t.slowRatio!;
      if (!fastBurn && !slowBurn) continue;
      const [window, measured, threshold, seconds] = fastBurn ? ['fast', f!, t.fastRatio!, t.fastWindowSeconds!] : ['slow', s!, t.slowRatio!, t.slowWindowSeconds!];
      findings.push({
        labels: { route, upstream: upstreams.get(route) ?? '' },
        value: measured.ratio,
        sampleRequestIds: context.gateway.requestSamples(route, 'server_error'),
        summary: `5xx ratio ${percent(measured.ratio)} on route ${route} (threshold ${percent(threshold)}, ${window} burn)`,
        description: `${Math.round(measured.ratio * measured.requests)} of ${measured.requests} requests to route ${route} (upstream ${upstreams.get(route) ?? '?'}) were answered 5xx over the last ${seconds} s.`,
      });
    }
    return findings;
  },
};

export const latencyP99: RuleEvaluator = {
  metrics: [DURATION],
  evaluate(context) {
    const t = context.thresholds;
    const buckets = context.history.increase(`${DURATION}_bucket`, t.windowSeconds!, context.now);
    const byRoute = new Map<string, Map<number, number>>();
    for (const sample of buckets) {
      const route = sample.labels.route!;
      const le = sample.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample.labels.le);
      let bounds = byRoute.get(route);
      if (!bounds) byRoute.set(route, (bounds = new Map()));
      bounds.set(le, (bounds.get(le) ?? 0) + sample.value);
    }
    const upstreams = upstreamOf(context);
    const findings: Finding[] = [];
    for (const [route, bounds] of byRoute) {
      if (route === '(none)' || (bounds.get(Number.POSITIVE_INFINITY) ?? 0) < t.minRequests!) continue;
      const p99 = histogramQuantile(0.99, [...bounds].map(([le, count]) => ({ le, count })));
      if (!(p99 > t.p99Seconds!)) continue;
      findings.push({
        labels: { route, upstream: upstreams.get(route) ?? '' },
        value: p99,
        sampleRequestIds: context.gateway.requestSamples(route, 'slow'),
        summary: `p99 latency ${p99.toFixed(2)} s on route ${route} (threshold ${t.p99Seconds} s)`,
        description: `The 99th percentile of request duration on route ${route} over the last ${t.windowSeconds} s is ${p99.toFixed(3)} s (from the latency histogram, ${bounds.get(Number.POSITIVE_INFINITY)} requests).`,
      });
    }
    return findings;
  },
};

export const upstreamDown: RuleEvaluator = {
  metrics: [],
  evaluate(context) {
    return context.gateway
      .upstreams()
      .filter((upstream) => upstream.targets.length > 0 && upstream.targets.every((target) => target.consecutiveFailures >= upstream.failuresBeforeCooldown))
      .map((upstream) => ({
        labels: { upstream: upstream.name },
        value: upstream.targets.length,
        summary: `upstream ${upstream.name} is down: all ${upstream.targets.length} targets failing`,
        description: `Every target of upstream ${upstream.name} (${upstream.targets.map((target) => target.origin).join(', ')}) failed ${upstream.failuresBeforeCooldown} or more times in a row and none has answered since.`,
      }));
  },
};

/** A counter's increase by some labels, at or above a threshold: one finding per label set. */
function counterAtLeast(metric: string, labels: readonly string[], window: string, threshold: string, describe: (labels: Record<string, string>, value: number, seconds: number, gateway: RuleContext['gateway']) => { summary: string; description: string; sampleRequestIds?: readonly string[] }): RuleEvaluator {
  return {
    metrics: [metric],
    evaluate(context) {
      const seconds = context.thresholds[window]!;
      const findings: Finding[] = [];
      for (const { labels: found, value } of sumBy(context.history.increase(metric, seconds, context.now), labels).values()) {
        if (value >= context.thresholds[threshold]! && value > 0) findings.push({ labels: found, value, ...describe(found, value, seconds, context.gateway) });
      }
      return findings;
    },
  };
}

export const rateLimitSaturation: RuleEvaluator = {
  metrics: [],
  evaluate(context) {
    const t = context.thresholds;
    const findings: Finding[] = [];
    for (const source of context.gateway.limitUsage()) {
      const peak = source.peakSince(context.now - t.windowSeconds! * 1000);
      if (peak < t.ratio!) continue;
      const { consumer, route, limit } = source.labels;
      findings.push({
        labels: { consumer, route, limit },
        value: peak,
        summary: `consumer ${consumer} uses ${percent(peak)} of limit ${limit} on route ${route}`,
        description: `Consumer ${consumer} reached ${percent(peak)} of rate limit ${limit} on route ${route} within the last ${t.windowSeconds} s (threshold ${percent(t.ratio!)}; 100 %: refused with 429). Raise its limit (portcullis limits set) or ask why it sends so much.`,
      });
    }
    return findings;
  },
};

export const validationFailureSpike = counterAtLeast('portcullis_validation_failures_total', ['route'], 'windowSeconds', 'failures', (labels, value, seconds, gateway) => ({
  summary: `${value} requests refused by the contract on route ${labels.route}`,
  description: `${value} requests to route ${labels.route} did not match its API contract over the last ${seconds} s: a broken client, or someone probing.`,
  sampleRequestIds: gateway.requestSamples(labels.route!, 'invalid'),
}));

export const egressDenied = counterAtLeast('portcullis_egress_denied_total', ['upstream', 'reason'], 'windowSeconds', 'denials', (labels, value, seconds) => ({
  summary: `${value} outbound connections refused by the egress rules (${labels.reason})`,
  description: `The egress rules refused (or, in report mode, would refuse) ${value} outbound connections or requests${labels.upstream ? ` to upstream ${labels.upstream}` : ' of the gateway itself'} over the last ${seconds} s, reason ${labels.reason}.`,
}));

export const authFailureSpike: RuleEvaluator = {
  metrics: [],
  evaluate(context) {
    const t = context.thresholds;
    const windowStart = context.now - t.windowSeconds! * 1000;
    const baselineStart = windowStart - t.baselineSeconds! * 1000;
    const findings: Finding[] = [];
    for (const source of context.gateway.authFailures().values()) {
      const recent = source.countSince(windowStart);
      if (recent < t.minFailures!) continue;
      const before = source.countSince(baselineStart) - recent;
      // Its own baseline, as a rate per window; a source never seen failing before has 1 (so factor × 1).
      const baseline = Math.max(1, (before * t.windowSeconds!) / t.baselineSeconds!);
      if (recent < t.factor! * baseline) continue;
      const who = source.labels.consumer ? `consumer ${source.labels.consumer}` : `client ${source.labels.client_ip}`;
      findings.push({
        labels: source.labels,
        value: recent,
        summary: `${recent} authentication failures from ${who} in ${t.windowSeconds} s`,
        description: `${who} got ${recent} 401/403 answers over the last ${t.windowSeconds} s, ${(recent / baseline).toFixed(1)} times its rate over the ${t.baselineSeconds} s before.`,
        sampleRequestIds: source.samples(),
      });
    }
    return findings;
  },
};

/**
 * Rate limits, concurrency limits and the RateLimit headers (issue #6). Each named limit is a GCRA
 * budget (src/ratelimit/gcra.ts: no window-boundary bursts, exact remaining counts) keyed by any
 * mix of consumer, API key, OAuth client, client IP, route and a header. A limit's name is its
 * counter: the same name on several routes is one shared budget, so a global `per-day` limit
 * counts every route. All limits of a request are checked and spent together, in memory or in one
 * Redis script; overrides per consumer or key come from the store without a restart.
 *
 * When Redis fails the policy does what `onStoreFailure` says (local limits, open, or closed with
 * 503), counting every fallback decision in a metric; the store logs the outage and the recovery.
 * Under `--workers` the memory store and the concurrency slots are the primary's (over IPC), and
 * the same `onStoreFailure` applies when the primary does not answer in time.
 */
import { Type } from '@sinclair/typebox';
import type { HeaderMap, RequestContext } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import { definePolicy, policyConfig } from '../../core/policy.js';
import { StringEnum } from '../../core/string-enum.js';
import type { ConcurrencySlots, Decision, LimitSpec } from '../../core/rate-limit.js';
import { USAGE_REPORT_FLOOR, type RateLimitServices } from '../../core/services.js';
import { describeRemaining, legacyHeaders, policiesDescriber } from './headers.js';
import { partitionKey, PARTITION_KINDS } from './partition.js';

const Partition = StringEnum(PARTITION_KINDS, { description: 'consumer | api_key | client | ip | route | header' });
const HTTP_METHOD_NAME = '^[A-Z]+$';

const configSchema = policyConfig(
  {
    limits: Type.Array(
      Type.Object(
        {
          name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,39}$', description: 'Names the limit in headers and problems; also its counter: the same name on several routes is one budget.' }),
          limit: Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'Units (requests, weighted by cost) allowed per window.' }),
          windowSeconds: Type.Integer({ minimum: 1, maximum: 31_536_000, description: 'The window the limit is spread over, in seconds.' }),
          burst: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'Units that may be spent at once (default: the limit).' })),
          by: Type.Array(Partition, { minItems: 1, uniqueItems: true, default: ['consumer'], description: 'What the budget is kept per; several kinds combine (per consumer per route).' }),
          header: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]+$', description: 'The request header to partition by, when `by` includes header.' })),
        },
        { additionalProperties: false },
      ),
      { default: [], description: 'Named limits; a request must fit every one of them.' },
    ),
    cost: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1, description: 'Units one request costs (a bulk endpoint may cost 10).' }),
    methodCosts: Type.Record(Type.String({ pattern: HTTP_METHOD_NAME }), Type.Integer({ minimum: 1, maximum: 1_000_000 }), { default: {}, description: 'Cost per method, overriding `cost`.' }),
    store: StringEnum(['memory', 'redis'], { default: 'memory', description: 'memory (this node only) or redis (shared by every node; needs the redis section).' }),
    onStoreFailure: StringEnum(['local', 'open', 'closed'], { default: 'local', description: 'When Redis is unreachable: local (limits on this node), open (admit), or closed (503).' }),
    headers: Type.Boolean({ default: true, description: 'Send RateLimit-Policy and RateLimit (draft-ietf-httpapi-ratelimit-headers) on every response.' }),
    legacyHeaders: Type.Boolean({ default: false, description: 'Also send X-RateLimit-Limit, -Remaining and -Reset for the tightest limit.' }),
    concurrency: Type.Optional(
      Type.Object(
        {
          maxInFlight: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Most requests in flight at once per partition, on each node.' }),
          name: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,39}$', description: 'Names the count: routes whose concurrency limits have the same name share it (default: each route its own).' })),
          by: Type.Array(Partition, { minItems: 1, uniqueItems: true, default: ['consumer'], description: 'What the in-flight count is kept per.' }),
          header: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]+$', description: 'The request header to partition by, when `by` includes header.' })),
        },
        { additionalProperties: false, description: 'A maximum of in-flight requests (429 ratelimit.concurrency_exceeded past it).' },
      ),
    ),
  },
  'Rate limits (GCRA), concurrency limits and RateLimit headers.',
);

export const rateLimit = definePolicy({
  name: 'ratelimit',
  description: 'Limits request rates and concurrency per consumer, key, client, IP, route or header, and tells clients their budget.',
  enabledByDefault: false,
  configSchema,
  requires: ['rateLimits'],
  check(config) {
    const issues: Array<{ path: string; message: string }> = [];
    const names = new Set<string>();
    config.limits.forEach((limit, i) => {
      if (names.has(limit.name)) issues.push({ path: `limits[${i}].name`, message: `"${limit.name}" is used twice; limit names must be unique` });
      names.add(limit.name);
      if (limit.by.includes('header') !== (limit.header !== undefined)) issues.push({ path: `limits[${i}].header`, message: 'header is needed exactly when `by` includes header' });
      const maxCost = Math.max(config.cost, ...Object.values(config.methodCosts));
      if ((limit.burst ?? limit.limit) < maxCost) issues.push({ path: `limits[${i}]`, message: `a request costs up to ${maxCost} units but this limit's burst is ${limit.burst ?? limit.limit}: no request could ever pass` });
    });
    if (config.concurrency && config.concurrency.by.includes('header') !== (config.concurrency.header !== undefined)) issues.push({ path: 'concurrency.header', message: 'header is needed exactly when `by` includes header' });
    if (config.limits.length === 0 && !config.concurrency) issues.push({ path: 'limits', message: 'configure at least one limit or a concurrency limit' });
    return issues;
  },
  create(config, deps) {
    const services = deps.services.rateLimits;
    const shared = config.store === 'redis' ? services.shared : undefined;
    if (config.store === 'redis' && !shared) throw new Error('ratelimit with store: redis needs the redis section (the config check should have said so)');
    // Everything a limit needs per request that does not depend on the request, built here once.
    const limits = config.limits.map((limit) => ({
      name: limit.name,
      limit: limit.limit,
      windowSeconds: limit.windowSeconds,
      windowMs: limit.windowSeconds * 1000,
      burst: limit.burst ?? limit.limit,
      keyPrefix: `${limit.name}|`,
      by: limit.by,
      header: limit.header?.toLowerCase(),
    }));
    const describePolicies = policiesDescriber(limits);
    const concurrency = config.concurrency ? { ...config.concurrency, header: config.concurrency.header?.toLowerCase() } : undefined;
    const outcomes = new WeakMap<RequestContext, Decision | 'open'>();

    function costOf(ctx: RequestContext): number {
      return config.methodCosts[ctx.method] ?? config.cost;
    }

    function specsFor(ctx: RequestContext): LimitSpec[] {
      const principal = ctx.principal;
      const cost = costOf(ctx);
      const overrides = services!.overrides;
      const specs: LimitSpec[] = [];
      for (const limit of limits) {
        const key = limit.keyPrefix + partitionKey(limit.by, limit.header, ctx);
        const override = overrides?.find(limit.name, principal?.consumerId, principal?.credentialId);
        specs.push(
          override
            ? { key, name: limit.name, limit: override.limit, windowMs: (override.windowSeconds ?? limit.windowSeconds) * 1000, burst: override.burst ?? override.limit, cost }
            : { key, name: limit.name, limit: limit.limit, windowMs: limit.windowMs, burst: limit.burst, cost },
        );
      }
      return specs;
    }

    /**
     * The stores to ask, in order: Redis (when configured), this node's memory (under `--workers`
     * the primary's, over IPC), then this worker's own memory. The first answers; when one fails,
     * `onStoreFailure` decides: `local` asks the next, `open` admits, `closed` refuses with 503.
     */
    const stores = [shared, services.local, services.lastResort?.store].filter((store) => store !== undefined);
    const slotKeepers = [services.concurrency, services.lastResort?.concurrency].filter((slots) => slots !== undefined);

    /** The fallback for a store that failed: the index of the next one to ask, `open`, or a 503. */
    function storeFailed(ctx: RequestContext, error: unknown, next: number, of: number): number | 'open' {
      services!.fallbackUsed(ctx.route.name, config.onStoreFailure);
      ctx.logFields.rateLimitFallback = config.onStoreFailure;
      if (config.onStoreFailure === 'local' && next < of) return next;
      if (config.onStoreFailure === 'open') return 'open';
      throw new GatewayError('ratelimit.store_unavailable', { detail: 'Rate limits cannot be checked right now; try again shortly.', internal: (error as Error).message, headers: { 'retry-after': '1' } });
    }

    async function consume(ctx: RequestContext, specs: LimitSpec[], now: number): Promise<Decision | 'open'> {
      for (let i = 0; ; ) {
        try {
          const answer = stores[i]!.consume(specs, now);
          return answer instanceof Promise ? await answer : answer;
        } catch (error) {
          const next = storeFailed(ctx, error, i + 1, stores.length);
          if (next === 'open') return 'open';
          i = next;
        }
      }
    }

    /** A slot from the first keeper that answers (see `stores` for the order and the fallback). */
    async function acquire(ctx: RequestContext, key: string, max: number): Promise<{ acquired: boolean; slots: ConcurrencySlots | undefined }> {
      for (let i = 0; ; ) {
        try {
          const slots = slotKeepers[i]!;
          const taken = slots.tryAcquire(key, max);
          return { acquired: typeof taken === 'boolean' ? taken : await taken, slots };
        } catch (error) {
          const next = storeFailed(ctx, error, i + 1, slotKeepers.length);
          if (next === 'open') return { acquired: true, slots: undefined };
          i = next;
        }
      }
    }

    /**
     * Takes a concurrency slot, given back when the response is over however it ends (sent, failed,
     * or the client gone), or at once if the request is refused here.
     */
    async function takeSlot(ctx: RequestContext): Promise<(() => void) | undefined> {
      if (!concurrency) return undefined;
      const key = `concurrency|${concurrency.name ?? ctx.route.name}|${partitionKey(concurrency.by, concurrency.header, ctx)}`;
      const { acquired, slots } = await acquire(ctx, key, concurrency.maxInFlight);
      // Admitted without a slot (the counts could not be had and onStoreFailure is open): nothing to give back.
      if (!slots && acquired) return undefined;
      if (!acquired) {
        services!.refused(ctx.route.name, 'concurrency');
        throw new GatewayError('ratelimit.concurrency_exceeded', { detail: `At most ${concurrency.maxInFlight} requests may be in flight at once.`, headers: { 'retry-after': '1' }, extensions: { limit: 'concurrency' } });
      }
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        slots!.release(key);
      };
      ctx.onFinished(release);
      return release;
    }

    return {
      limit: async function enforceRateLimits(ctx) {
        // The concurrency slot first: it spends nothing, so a refusal there wastes no budget.
        const releaseSlot = concurrency ? await takeSlot(ctx) : undefined;
        if (limits.length === 0) return;
        const specs = specsFor(ctx);
        // An override can set a burst below what a request costs: no wait would help, so say so
        // plainly instead of sending a Retry-After that would only bring the same refusal.
        const impossible = specs.find((spec) => spec.cost > spec.burst);
        if (impossible) {
          releaseSlot?.();
          services.refused(ctx.route.name, impossible.name);
          throw new GatewayError('ratelimit.exceeded', { detail: `This request costs ${impossible.cost} units; the "${impossible.name}" limit allows at most ${impossible.burst} at once.`, extensions: { limit: impossible.name } });
        }
        let outcome: Decision | 'open';
        try {
          outcome = await consume(ctx, specs, deps.clock.now());
        } catch (error) {
          releaseSlot?.();
          throw error;
        }
        outcomes.set(ctx, outcome);
        if (outcome !== 'open' && services.usage && ctx.principal) reportUsage(services.usage, ctx.route.name, ctx.principal.consumerId, outcome);
        if (outcome === 'open' || outcome.allowed) return;
        releaseSlot?.();
        services.refused(ctx.route.name, outcome.limitName);
        ctx.logFields.rateLimit = outcome.limitName;
        const retryAfter = Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
        throw new GatewayError('ratelimit.exceeded', {
          detail: `The "${outcome.limitName}" rate limit is used up; retry after ${retryAfter} s.`,
          headers: { 'retry-after': String(retryAfter) },
          extensions: { limit: outcome.limitName },
        });
      },
      respond: function writeRateLimitHeaders(ctx) {
        const outcome = outcomes.get(ctx);
        if (!ctx.response || outcome === undefined || outcome === 'open') return;
        const headers: HeaderMap = ctx.response.headers;
        if (config.headers && outcome.states.length > 0) {
          headers['ratelimit-policy'] = describePolicies(outcome.states);
          headers['ratelimit'] = describeRemaining(outcome.states);
        }
        if (config.legacyHeaders) Object.assign(headers, legacyHeaders(outcome.states));
      },
    };
  },
});


/**
 * Reports the consumer's most used limit of a decision when it is at USAGE_REPORT_FLOOR or more
 * (a refused limit counts as fully used): the share of its burst spent, for rate_limit_saturation.
 */
function reportUsage(usage: NonNullable<RateLimitServices['usage']>, route: string, consumer: string, decision: Decision): void {
  let name: string | undefined;
  let used = decision.allowed ? 0 : 1;
  if (!decision.allowed) name = decision.limitName;
  else {
    for (const state of decision.states) {
      const share = state.burst > 0 ? 1 - state.remaining / state.burst : 0;
      if (share > used) [name, used] = [state.name, share];
    }
  }
  if (name !== undefined && used >= USAGE_REPORT_FLOOR) usage(route, name, consumer, used);
}

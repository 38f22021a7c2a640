/**
 * Continuous assessment (issue 23 §5, docs/assess.md "Continuous mode"): every upstream with
 * `assess` enabled is assessed when the gateway starts and every `intervalHours` after, by the
 * node that runs the once-per-gateway duties (like the alert engine under --workers), through the
 * gateway's Outbound (its egress rules; the upstream's CAs). Each result is stored (migration
 * 0034) and compared with the previous one: a worse grade, or a certificate that now expires
 * within 30, 7 or 1 days, is logged as assess.provider_security_regression, which the
 * provider_security_regression alert rule reads; a later run that ends it (the grade back, the
 * certificate renewed) logs assess.provider_security_recovered, which resolves the alert.
 *
 * `minimumGrade` reads the latest grades from memory (no store query per request): the duties
 * node updates them after each run; under --workers the lead sends each new grade to the primary,
 * which relays it to the other workers at once (and to a worker that starts later), with a store
 * or without; other nodes re-read them from the store every REFRESH_MS. Before an upstream has a grade, its minimum refuses (fail closed).
 */
import { rootCertificates, type TLSSocket } from 'node:tls';
import type { Clock } from '../core/clock.js';
import { changedRuleIds, diffAssessments } from '../assess/diff.js';
import { gradesBelow, NotAssessedError, type AssessmentOutcome, type StoredAssessFinding, type UpstreamAssessor } from '../core/assessment.js';
import { GatewayError } from '../core/errors.js';
import type { GatewayConfig, UpstreamConfig } from '../config/schema.js';
import { readPemFile } from '../config/tls-options.js';
import type { Logger } from '../observability/logger.js';
import { DEFAULT_OUTBOUND_TLS, type Outbound, type OutboundTls } from '../outbound/index.js';
import { insertAssessmentResult, latestAssessmentResults, type AssessmentResult } from '../store/assessment-results.js';
import type { OpenedStore } from '../store/open-store.js';

/** How often the schedule is looked at (the clock decides what is due). */
export const TICK_MS = 60_000;
/** How often a node without the duties re-reads the latest grades. */
export const REFRESH_MS = 60_000;
/** After a failed run, the next try comes this soon (or at the interval, if shorter). */
const RETRY_MS = 15 * 60_000;
/** Certificate thresholds in days, with the severity of crossing each (certificate_expiry's). */
const CERTIFICATE_DAYS = [
  { days: 1, severity: 'critical' },
  { days: 7, severity: 'warning' },
  { days: 30, severity: 'info' },
] as const;
const DAY_MS = 86_400_000;

export interface ContinuousAssessmentDeps {
  readonly clock: Clock;
  readonly logger: () => Logger;
  readonly outbound: Outbound;
  readonly store: OpenedStore | undefined;
  /** The config in force (replaced by each reload). */
  readonly config: () => GatewayConfig;
  /** Runs one assessment (assess/continuous.ts); undefined: none can run (upstreams with a minimumGrade are refused). */
  readonly assessor: UpstreamAssessor | undefined;
  /** This node runs the schedule (ClusterRole.duties). */
  readonly duties: boolean;
}

/** The latest grade of an upstream, as minimumGrade reads it. */
export interface LatestGrade {
  readonly grade: string;
  /** Its findings, which the next run is compared with (assess/diff.ts); absent for a grade another worker's run set (only the grade is relayed). */
  readonly findings?: readonly StoredAssessFinding[];
  readonly certificateNotAfter: number | undefined;
  readonly assessedAt: number;
}

/** An upstream's regressions alerted and not yet recovered from (provider_security_regression firing). */
interface OpenRegressions {
  /** The grade before the first drop, and whether a drop went below minimumGrade. */
  drop?: { readonly from: string; readonly belowFloor: boolean } | undefined;
  /** The certificate crossed a threshold of CERTIFICATE_DAYS and was not renewed since. */
  certificate: boolean;
}

export class ContinuousAssessment {
  readonly #latest = new Map<string, LatestGrade>();
  /** Per upstream, on the node that runs the schedule. */
  readonly #open = new Map<string, OpenRegressions>();
  /** Per upstream: epoch ms its next run is due. */
  readonly #due = new Map<string, number>();
  /** Hear each grade this node's runs set (the lead worker relays them, cluster-worker.ts). */
  readonly #graded: Array<(upstream: string, grade: LatestGrade) => void> = [];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #loaded: Promise<void> | undefined;

  constructor(private readonly deps: ContinuousAssessmentDeps) {}

  /** Loads the stored grades, then runs what is due at once and every TICK_MS (or re-reads grades every REFRESH_MS). */
  start(): void {
    this.#loaded = this.#refresh();
    const every = this.deps.duties ? TICK_MS : REFRESH_MS;
    this.#timer = setInterval(() => void (this.deps.duties ? this.tick() : this.#refresh()), every);
    this.#timer.unref();
    if (this.deps.duties && this.#enabled().length > 0) void this.tick();
  }

  stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    return this.#running ?? Promise.resolve();
  }

  /** Runs every enabled upstream whose run is due by the clock; resolves when they are done (one tick at a time). */
  tick(): Promise<void> {
    if (this.#running) return this.#running;
    const run = (async () => {
      await this.#loaded;
      const now = this.deps.clock.now();
      for (const [name, upstream] of this.#enabled()) {
        if ((this.#due.get(name) ?? 0) > now) continue;
        const ok = await this.#assess(name, upstream);
        const intervalMs = upstream.assess!.intervalHours * 3_600_000;
        this.#due.set(name, now + (ok ? intervalMs : Math.min(intervalMs, RETRY_MS)));
      }
    })().finally(() => (this.#running = undefined));
    return (this.#running = run);
  }

  /**
   * For the proxy: throws 503 upstream.assessment_below_minimum unless `upstream` has a grade at
   * or above its `assess.minimumGrade` (no minimum: returns).
   */
  require(upstream: string, config: UpstreamConfig): void {
    const minimum = config.assess?.minimumGrade;
    if (minimum === undefined) return;
    const latest = this.#latest.get(upstream);
    if (latest && gradesBelow(latest.grade, minimum) === 0) return;
    const detail = latest ? `Upstream ${upstream} is graded ${latest.grade}, below its minimum ${minimum}: nothing was sent to it.` : `Upstream ${upstream} has not been assessed yet (its minimum grade is ${minimum}): nothing was sent to it.`;
    throw new GatewayError('upstream.assessment_below_minimum', { detail, extensions: { upstream, grade: latest?.grade ?? null, minimumGrade: minimum } });
  }

  /** Calls `listener` with each grade a run of this node sets (under --workers: the lead's, sent to the others). */
  onGraded(listener: (upstream: string, grade: LatestGrade) => void): void {
    this.#graded.push(listener);
  }

  /** A grade another node's run set (the lead's, relayed by the primary): kept unless the one in memory is newer. */
  learn(upstream: string, grade: LatestGrade): void {
    const known = this.#latest.get(upstream);
    if (!known || known.assessedAt <= grade.assessedAt) this.#latest.set(upstream, { grade: grade.grade, certificateNotAfter: grade.certificateNotAfter, assessedAt: grade.assessedAt });
  }

  /** The latest grade of `upstream`, if it has one. */
  gradeOf(upstream: string): string | undefined {
    return this.#latest.get(upstream)?.grade;
  }

  #enabled(): Array<[string, UpstreamConfig]> {
    return Object.entries(this.deps.config().upstreams).filter(([, upstream]) => upstream.assess?.enabled === true);
  }

  async #refresh(): Promise<void> {
    if (!this.deps.store) return;
    try {
      for (const [name, result] of await latestAssessmentResults(this.deps.store)) {
        const known = this.#latest.get(name);
        if (!known || known.assessedAt <= result.assessedAt) this.#latest.set(name, { grade: result.grade, findings: result.findings, certificateNotAfter: result.certificateNotAfter, assessedAt: result.assessedAt });
      }
    } catch (error) {
      this.deps.logger().warn({ event: 'assess.failed', reason: 'latest_grades_unreadable', err: error instanceof Error ? error.message : String(error) }, 'the latest assessment grades could not be read: the ones in memory stay in force');
    }
  }

  /** One run for one upstream: assess, store, compare, log. false when it could not run. */
  async #assess(name: string, upstream: UpstreamConfig): Promise<boolean> {
    const logger = this.deps.logger();
    const assess = upstream.assess!;
    const url = new URL(upstream.targets[0]!);
    if (!this.deps.assessor) {
      logger.warn({ event: 'assess.failed', upstream: name, reason: 'no_assessor' }, 'continuous assessment is configured but this gateway was started without the assess command (a library start): nothing is assessed');
      return false;
    }
    // Every CA file, as the upstream's pool trusts them (config/tls-options.ts), not the first only.
    const cas = (upstream.tls?.caFiles ?? []).map((file) => readPemFile(file, `upstreams.${name}.tls.caFiles`));
    const tls: OutboundTls = { ...DEFAULT_OUTBOUND_TLS, ...(cas.length > 0 ? { ca: [...rootCertificates, ...cas] } : {}), ...(upstream.tls?.servername ? { servername: upstream.tls.servername } : {}) };
    const admit = (destination: { host: string; port: number; protocol: 'http:' | 'https:' }) => this.deps.outbound.admit('assess', destination, assess.timeoutMs).then((connection) => connection.address);
    const agent = this.deps.outbound.agentWithTls('assess', tls, { connectTimeoutMs: assess.timeoutMs, headersTimeoutMs: assess.timeoutMs, bodyTimeoutMs: assess.timeoutMs });
    let outcome: AssessmentOutcome;
    let certificateNotAfter: number | undefined;
    try {
      outcome = await this.deps.assessor({ upstream: name, url, oauthIssuer: assess.oauthIssuer ? new URL(assess.oauthIssuer) : undefined, ...(cas.length > 0 ? { ca: cas.join('\n') } : {}), admit, timeoutMs: assess.timeoutMs, clock: this.deps.clock, dispatcher: agent });
      // A certificate the gateway cannot verify has no expiry to watch here: the findings already
      // say what is wrong with it (AS-CERT-001/005 grade F), which must not be lost to this probe.
      certificateNotAfter = url.protocol === 'https:' ? await this.#certificateNotAfter(url, tls, assess.timeoutMs).catch(() => undefined) : undefined;
    } catch (error) {
      const reason = error instanceof NotAssessedError ? error.reason : 'not_assessed';
      logger.warn({ event: 'assess.failed', upstream: name, reason, err: error instanceof Error ? error.message : String(error) }, 'an upstream could not be assessed: its previous grade stays in force');
      return false;
    } finally {
      await agent.close();
    }
    const previous = this.#latest.get(name);
    const result: Omit<AssessmentResult, 'id'> = { upstream: name, target: url.href, ...outcome, certificateNotAfter, assessedAt: this.deps.clock.now() };
    const latest: LatestGrade = { grade: result.grade, findings: result.findings, certificateNotAfter, assessedAt: result.assessedAt };
    this.#latest.set(name, latest);
    for (const listener of this.#graded) listener(name, latest);
    if (this.deps.store) {
      await insertAssessmentResult(this.deps.store, result).catch((error: unknown) =>
        logger.warn({ event: 'assess.failed', upstream: name, reason: 'not_stored', err: error instanceof Error ? error.message : String(error) }, 'an assessment result could not be stored: it holds in this node only'),
      );
    }
    const found = outcome.findings.filter((finding) => finding.status === 'found').length;
    // The same comparison as --baseline and `assess history`; rule ids only (a message names hosts and suites, never a secret, but ids are what an alert needs).
    const changes = previous?.findings ? changedRuleIds(diffAssessments({ grade: previous.grade, findings: previous.findings }, result)) : undefined;
    logger.info({ event: 'assess.completed', upstream: name, grade: result.grade, previousGrade: previous?.grade ?? null, findings: found, ...(changes ? { added: changes.added, fixed: changes.fixed } : {}) }, 'an upstream was assessed');
    this.#regressions(name, upstream, previous, result, changes);
    this.#recoveries(name, upstream, result);
    return true;
  }

  /**
   * Logs assess.provider_security_recovered for each open regression this run ends, which resolves
   * its provider_security_regression alert (alerts/rules/event-rules.ts): a grade back at or above
   * the grade before the drop (or, for a drop below minimumGrade, back at the floor), a certificate
   * no longer within 30 days of expiry. Time alone never ends one.
   */
  #recoveries(name: string, upstream: UpstreamConfig, result: Omit<AssessmentResult, 'id'>): void {
    const open = this.#open.get(name);
    if (!open) return;
    const logger = this.deps.logger();
    const minimum = upstream.assess?.minimumGrade;
    if (open.drop && (gradesBelow(result.grade, open.drop.from) === 0 || (open.drop.belowFloor && minimum !== undefined && gradesBelow(result.grade, minimum) === 0))) {
      logger.info({ event: 'assess.provider_security_recovered', upstream: name, reason: 'grade_dropped', grade: result.grade, was: open.drop.from }, `upstream ${name} graded ${result.grade} again`);
      open.drop = undefined;
    }
    const daysLeft = result.certificateNotAfter === undefined ? undefined : (result.certificateNotAfter - result.assessedAt) / DAY_MS;
    if (open.certificate && daysLeft !== undefined && daysLeft > CERTIFICATE_DAYS.at(-1)!.days) {
      logger.info({ event: 'assess.provider_security_recovered', upstream: name, reason: 'certificate_expiring', daysLeft: String(Math.floor(daysLeft)) }, `the certificate of upstream ${name} was renewed`);
      open.certificate = false;
    }
    if (!open.drop && !open.certificate) this.#open.delete(name);
  }

  #opened(name: string): OpenRegressions {
    let open = this.#open.get(name);
    if (!open) this.#open.set(name, (open = { certificate: false }));
    return open;
  }

  /** Logs assess.provider_security_regression for a worse grade and for each certificate threshold newly crossed. */
  #regressions(name: string, upstream: UpstreamConfig, previous: LatestGrade | undefined, result: Omit<AssessmentResult, 'id'>, changes: { added: string[]; fixed: string[] } | undefined): void {
    const logger = this.deps.logger();
    if (previous) {
      const drop = gradesBelow(result.grade, previous.grade);
      if (drop > 0) {
        const minimum = upstream.assess?.minimumGrade;
        const belowMinimum = minimum !== undefined && gradesBelow(result.grade, minimum) > 0;
        const severity = drop >= 2 || result.grade === 'F' || belowMinimum ? 'critical' : 'warning';
        // Open until the grade is back where it was before the first drop (or at the floor, see #recoveries).
        const open = this.#opened(name);
        open.drop = { from: open.drop?.from ?? previous.grade, belowFloor: (open.drop?.belowFloor ?? false) || belowMinimum };
        logger.warn(
          { event: 'assess.provider_security_regression', upstream: name, reason: 'grade_dropped', severity, from: previous.grade, to: result.grade, capReasons: result.capReasons, added: changes?.added ?? [], fixed: changes?.fixed ?? [] },
          `upstream ${name} graded ${result.grade}, was ${previous.grade}`,
        );
      }
    }
    if (result.certificateNotAfter === undefined) return;
    const daysLeft = (result.certificateNotAfter - result.assessedAt) / DAY_MS;
    const before = previous?.certificateNotAfter === undefined ? Number.POSITIVE_INFINITY : (previous.certificateNotAfter - previous.assessedAt) / DAY_MS;
    // The tightest threshold crossed since the previous run (none: no event, so each crossing alerts once).
    const crossed = CERTIFICATE_DAYS.find((threshold) => daysLeft <= threshold.days && before > threshold.days);
    if (!crossed) return;
    this.#opened(name).certificate = true;
    logger.warn(
      { event: 'assess.provider_security_regression', upstream: name, reason: 'certificate_expiring', severity: crossed.severity, daysLeft: String(Math.max(0, Math.floor(daysLeft))), notAfter: new Date(result.certificateNotAfter).toISOString() },
      `the certificate of upstream ${name} expires within ${crossed.days} days`,
    );
  }

  /** The target's certificate notAfter (epoch ms), from a handshake through the Outbound. */
  async #certificateNotAfter(url: URL, tls: OutboundTls, timeoutMs: number): Promise<number | undefined> {
    const connect = this.deps.outbound.connector('assess', { tls, connectTimeoutMs: timeoutMs });
    const socket = await new Promise<TLSSocket>((resolve, reject) =>
      connect({ hostname: url.hostname, host: url.host, protocol: 'https:', port: url.port || '443', servername: tls.servername ?? null } as never, (error, connected) => (error ? reject(error) : resolve(connected as TLSSocket))),
    );
    try {
      const validTo = socket.getPeerX509Certificate()?.validTo;
      return validTo ? Date.parse(validTo) : undefined;
    } finally {
      socket.destroy();
    }
  }
}

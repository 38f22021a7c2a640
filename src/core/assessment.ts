/**
 * The seam between the gateway and `portcullis assess` (issue 23 §5): the gateway schedules the
 * assessment of each upstream that opts in and keeps the results (server/assessments.ts); the
 * assessment itself is assess/continuous.ts. The gateway passes in a dispatcher of its own
 * Outbound, so the assessment's HTTP requests pass its egress rules like any other outbound
 * connection.
 */
import type { Dispatcher } from 'undici';
import type { Clock } from './clock.js';

/** Grades best first (assess/finding.ts GRADES); `?` is "could not assess". */
export const GRADE_ORDER = ['A+', 'A', 'B', 'C', 'D', 'E', 'F'] as const;

/** How many grades `grade` is below `than` (0 when equal or better; an unknown grade counts as below F). */
export function gradesBelow(grade: string, than: string): number {
  const rank = (g: string) => {
    const index = (GRADE_ORDER as readonly string[]).indexOf(g);
    return index < 0 ? GRADE_ORDER.length : index;
  };
  return Math.max(0, rank(grade) - rank(than));
}

/** One finding as the gateway stores it (assess/finding.ts AssessFinding). */
export interface StoredAssessFinding {
  readonly ruleId: string;
  readonly severity: string;
  readonly message: string;
  readonly where: string;
  readonly status: 'found' | 'not_tested';
  readonly cap?: string;
}

export interface AssessmentOutcome {
  /** A+ … F. */
  readonly grade: string;
  /** Why the grade is capped: "capped at B: TLS 1.1 offered". */
  readonly capReasons: readonly string[];
  readonly findings: readonly StoredAssessFinding[];
}

export interface UpstreamAssessmentRequest {
  readonly upstream: string;
  /** The upstream's first target. */
  readonly url: URL;
  readonly oauthIssuer?: URL | undefined;
  /** The PEM of every file of upstreams.<name>.tls.caFiles, for the TLS checks' chain verification (undefined: the system store). */
  readonly ca?: string | undefined;
  /**
   * Approves each connection the assessment opens itself (the TLS and certificate probes) by the
   * gateway's egress rules: resolves with the address to connect to, or rejects with the refusal.
   */
  readonly admit: (destination: { readonly host: string; readonly port: number; readonly protocol: 'http:' | 'https:' }) => Promise<string>;
  readonly timeoutMs: number;
  readonly clock: Clock;
  /** For every HTTP request of the assessment: the gateway's Outbound (egress rules, the upstream's CAs). */
  readonly dispatcher: Dispatcher;
}

/** Why an upstream could not be assessed at all (assess.failed's `reason`). */
export class NotAssessedError extends Error {
  override readonly name = 'NotAssessedError';
  constructor(
    /** `egress_denied`: the egress rules refused every connection; `unreachable`: nothing answered. */
    readonly reason: 'egress_denied' | 'unreachable',
    message: string,
  ) {
    super(message);
  }
}

/** Runs one assessment; rejects (a NotAssessedError when it knows why) when the upstream could not be assessed at all (exit code 2 of the CLI). */
export type UpstreamAssessor = (request: UpstreamAssessmentRequest) => Promise<AssessmentOutcome>;

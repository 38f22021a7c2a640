/**
 * Results of continuous assessment (issue 23 §5, migration 0034): one row per run of
 * `portcullis assess` on an upstream. Records of measurements, not entities: written without
 * store.write (never in the change feed or the audit trail), like the inventory's counters.
 */
export interface AssessmentResultsTable {
  id: string;
  upstream: string;
  /** The URL assessed (the upstream's first target). */
  target: string;
  /** A+ … F, or `?` when the run could not assess (the error is in `findings`). */
  grade: string;
  /** JSON: the grade's cap reasons (string[]). */
  cap_reasons: string;
  /** JSON: the findings (AssessFinding[]). */
  findings: string;
  /** Epoch ms of the certificate's notAfter, when the target is https and answered. */
  certificate_not_after: number | null;
  /** Epoch ms the run ended. */
  assessed_at: number;
}

export interface AssessmentTables {
  assessment_results: AssessmentResultsTable;
}

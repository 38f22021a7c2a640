/** Types of audit-gate.mjs for the tests. */
export declare function auditVerdict(output: string): { verdict: 'fail' | 'pass' | 'unavailable'; message: string };

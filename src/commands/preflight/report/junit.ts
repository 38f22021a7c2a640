/**
 * The JUnit XML report (the shape CI servers read: testsuites > testsuite > testcase > failure),
 * written with xmlbuilder2 so that every attribute and text is escaped. One test suite per check;
 * one test case per rule that found nothing (passed) and one per finding (failed, its severity the
 * failure type), so a CI page lists each finding by itself.
 */
import { create } from 'xmlbuilder2';
import type { Check, Finding, Rule } from '../check.js';
import type { PreflightReport } from '../runner.js';

export function junitReport(report: PreflightReport, suites: ReadonlyArray<Pick<Check, 'name' | 'rules'>>, rules: ReadonlyMap<string, Rule>): string {
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', { name: 'portcullis preflight', tests: 0, failures: 0 });
  let tests = 0;
  const claimed = new Set<string>();
  const add = (name: string, suiteRules: readonly Rule[], findings: readonly Finding[]) => {
    const suite = root.ele('testsuite', { name: `preflight.${name}`, tests: 0, failures: findings.length, errors: 0, skipped: 0 });
    let cases = 0;
    for (const rule of suiteRules) {
      const mine = findings.filter((found) => found.ruleId === rule.id);
      if (mine.length === 0) {
        suite.ele('testcase', { classname: `preflight.${name}`, name: `${rule.id} ${rule.title}` });
        cases += 1;
      }
      for (const found of mine) {
        const where = [found.where.path, found.where.entity, found.where.url].filter(Boolean).join(', ');
        suite
          .ele('testcase', { classname: `preflight.${name}`, name: `${rule.id} ${where || rule.title}` })
          .ele('failure', { message: found.message, type: found.severity })
          .txt(`${found.message}\nwhere: ${where || '-'}\nwhy: ${rule.why}\nfix: ${rule.fix}`);
        cases += 1;
      }
    }
    suite.att('tests', String(cases));
    tests += cases;
  };
  for (const check of suites) {
    for (const rule of check.rules) claimed.add(rule.id);
    add(check.name, check.rules, report.findings.filter((found) => check.rules.some((rule) => rule.id === found.ruleId)));
  }
  // Findings of rules outside the checks (loading the config, the store, the ignore file).
  const rest = [...rules.values()].filter((rule) => !claimed.has(rule.id));
  add('general', rest, report.findings.filter((found) => !claimed.has(found.ruleId)));
  root.att('tests', String(tests));
  root.att('failures', String(report.findings.length));
  return root.end({ prettyPrint: true });
}

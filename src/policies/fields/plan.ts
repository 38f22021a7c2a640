/**
 * Turns one direction's config into the filter plan the walk follows (json-filter.ts): tries of
 * the selected paths and of the operators, compiled once when the policy is created.
 */
import { DetectorSet } from '../../detect/scan.js';
import { buildTrie } from './field-paths.js';
import type { FieldOperator, FilterPlan } from './json-filter.js';
import { rewriterFor, type HashKey } from './operators.js';
import type { DirectionConfig } from './schema.js';

export function compilePlan(direction: DirectionConfig, maxDepth: number, hashKey: HashKey | undefined): FilterPlan {
  const operators = direction.redact.map((rule) => ({
    path: rule.path,
    value: (rule.action === 'remove' ? { remove: true } : { rewrite: rewriterFor(rule.action === 'mask' ? { action: 'mask', keepLast: rule.keepLast } : rule.action === 'hash' ? { action: 'hash' } : { action: 'replace', with: rule.with }, hashKey) }) as FieldOperator,
  }));
  const detect = direction.detect;
  return {
    mode: direction.mode ?? 'none',
    select: buildTrie(direction.paths.map((path) => ({ path, value: true as const }))),
    operators: buildTrie(operators),
    detect:
      detect === undefined
        ? undefined
        : { set: new DetectorSet(detect.detectors), rewrite: rewriterFor(detect.action === 'mask' ? { action: 'mask', keepLast: detect.keepLast } : detect.action === 'hash' ? { action: 'hash' } : { action: 'replace', with: detect.with }, hashKey) },
    maxDepth,
  };
}

/** Whether a direction's config names a hash operator (which needs hashKey). */
export function usesHash(direction: DirectionConfig | undefined): boolean {
  return direction !== undefined && (direction.redact.some((rule) => rule.action === 'hash') || direction.detect?.action === 'hash');
}

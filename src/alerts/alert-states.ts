/**
 * The state of every alert: one per (rule, label set). A finding starts it *pending*; once the
 * condition has held for the rule's `for` duration it is *firing* (startsAt = when it began to
 * hold, as Prometheus does); when the condition no longer holds a firing alert is *resolved*
 * (endsAt = now) and a pending one forgotten. Resolved alerts are handed to the notifier once.
 */
import type { AlertInstance, AlertSeverity } from './notification.js';
import type { Finding } from './rules/rule.js';

/** A rule's settings after the config's overrides. */
export interface EffectiveRule {
  readonly name: string;
  readonly severity: AlertSeverity;
  readonly forSeconds: number;
  readonly runbookUrl: string;
  readonly thresholds: Readonly<Record<string, number>>;
}

interface AlertState {
  readonly since: number;
  instance: AlertInstance;
  firing: boolean;
}

/** A stable key of a rule and label set: `rule{a="1",b="2"}` with the labels sorted. */
export function alertKey(rule: string, labels: Readonly<Record<string, string>>): string {
  return `${rule}{${Object.keys(labels)
    .sort()
    .map((key) => `${key}=${JSON.stringify(labels[key])}`)
    .join(',')}}`;
}

export class AlertStates {
  readonly #states = new Map<string, AlertState>();

  /**
   * Applies one evaluation of `rule` at `now`: returns the alerts that started firing and those that
   * resolved with this evaluation. `node` is added to every alert's labels.
   */
  apply(rule: EffectiveRule, findings: readonly Finding[], now: number, node: string): { fired: AlertInstance[]; resolved: AlertInstance[] } {
    const fired: AlertInstance[] = [];
    const resolved: AlertInstance[] = [];
    const seen = new Set<string>();
    for (const finding of findings) {
      const labels = { ...finding.labels, node };
      const key = alertKey(rule.name, labels);
      if (seen.has(key)) continue;
      seen.add(key);
      const state = this.#states.get(key);
      const since = state?.since ?? now;
      const instance: AlertInstance = {
        rule: rule.name,
        labels,
        severity: finding.severity ?? rule.severity,
        summary: finding.summary,
        description: finding.description,
        runbookUrl: rule.runbookUrl,
        startsAt: new Date(since),
        sampleRequestIds: finding.sampleRequestIds ?? [],
        ...(finding.value === undefined ? {} : { value: finding.value }),
      };
      if (!state) {
        this.#states.set(key, { since, instance, firing: false });
      } else state.instance = instance;
      const current = this.#states.get(key)!;
      if (!current.firing && now - since >= rule.forSeconds * 1000) {
        current.firing = true;
        fired.push(instance);
      }
    }
    for (const [key, state] of this.#states) {
      if (state.instance.rule !== rule.name || seen.has(key)) continue;
      this.#states.delete(key);
      if (state.firing) resolved.push({ ...state.instance, endsAt: new Date(now) });
    }
    return { fired, resolved };
  }

  /** Forgets a rule's alerts (turned off by a reload): the firing ones come back resolved. */
  drop(rule: string, now: number): AlertInstance[] {
    const resolved: AlertInstance[] = [];
    for (const [key, state] of this.#states) {
      if (state.instance.rule !== rule) continue;
      this.#states.delete(key);
      if (state.firing) resolved.push({ ...state.instance, endsAt: new Date(now) });
    }
    return resolved;
  }

  /** Forgets the alerts `which` selects without resolving them (another node answers for them now). */
  forget(which: (alert: AlertInstance) => boolean): void {
    for (const [key, state] of this.#states) if (which(state.instance)) this.#states.delete(key);
  }

  /** Every firing alert, oldest first. */
  firing(): AlertInstance[] {
    return [...this.#states.values()].filter((state) => state.firing).map((state) => state.instance).sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
  }

  /** Every pending alert (its condition holds, its `for` has not passed). */
  pending(): AlertInstance[] {
    return [...this.#states.values()].filter((state) => !state.firing).map((state) => state.instance);
  }
}

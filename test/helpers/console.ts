/**
 * Browser helpers for the console tests: an accessibility check with axe-core run inside the page
 * (its source evaluated over CDP, so the console's CSP, which refuses inline script, stays on), and
 * screenshots saved into docs/console/ for docs/console.md.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/**
 * docs/console/ with PORTCULLIS_UPDATE_DOCS=1 (as for docs/admin-api.md), else dist/screenshots/
 * (a CI artifact), so that a test run leaves the working tree as it was.
 */
export const SCREENSHOT_DIR = fileURLToPath(new URL(process.env.PORTCULLIS_UPDATE_DOCS === '1' ? '../../../docs/console/' : '../../screenshots/console/', import.meta.url));
mkdirSync(SCREENSHOT_DIR, { recursive: true });
export const SCREENSHOTS: string[] = [];

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** Runs axe-core (WCAG 2.x A and AA rules) on the page; fails on any serious or critical violation. */
export async function assertAccessible(page: Page, screen: string): Promise<void> {
  // A string is evaluated as a script by the DevTools protocol, which the page's CSP does not cover.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const scope = globalThis as unknown as { document: unknown; axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> } };
    const result = await scope.axe.run(scope.document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } });
    return result.violations.map((item) => ({ id: item.id, impact: item.impact, help: item.help, nodes: item.nodes.map((node) => ({ target: node.target })) }));
  });
  const serious = violations.filter((item) => item.impact === 'serious' || item.impact === 'critical');
  assert.deepEqual(serious.map((item) => `${item.id} (${item.impact}): ${item.help} at ${item.nodes.map((node) => node.target.join(' ')).join(', ')}`), [], `accessibility of ${screen}`);
}

/** Saves <name>.png (the page's viewport) into SCREENSHOT_DIR. */
export async function screenshot(page: Page, name: string): Promise<void> {
  SCREENSHOTS.push(name);
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
}

/**
 * The admission table is documented in one place (docs/http.md#admission): the steps there are
 * the steps in src/server/admission.ts, in the same order.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ADMISSION_STEPS } from '../src/server/admission.js';

test('docs/http.md lists the admission steps of admission.ts, in their order', () => {
  const doc = readFileSync(new URL('../../docs/http.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## Admission'), doc.indexOf('\n## ', doc.indexOf('## Admission') + 1));
  const documented = [...section.matchAll(/^\| \d+ \| `([a-z-]+)` \|/gm)].map((match) => match[1]);
  assert.deepEqual(documented, ADMISSION_STEPS.map((step) => step.name));
});

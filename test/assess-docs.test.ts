/**
 * docs/assess.md lists every finding id `portcullis assess` can report, with the severity and cap
 * the code gives it, and no id the code does not have (like docs-sync for error codes). The table
 * between the markers is generated: `PORTCULLIS_UPDATE_DOCS=1` rewrites it.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { assessRules } from '../src/assess/checks/index.js';

const DOC = new URL('../../docs/assess.md', import.meta.url);
const BEGIN = '<!-- assess-rules:begin (generated: PORTCULLIS_UPDATE_DOCS=1 npm test -- assess-docs) -->';
const END = '<!-- assess-rules:end -->';

function table(): string {
  const rows = [...assessRules().values()].sort((a, b) => a.id.localeCompare(b.id)).map((rule) => `| <a id="${rule.id.toLowerCase()}"></a>\`${rule.id}\` | ${rule.severity} | ${rule.cap ?? '—'} | ${rule.title} | ${rule.why.replace(/\|/g, '\\|')} | ${rule.fix.replace(/\|/g, '\\|')} |`);
  return ['| ID | Severity | Caps at | Finding | Why | Fix |', '| --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}

test('docs/assess.md lists every finding id with its severity and cap', () => {
  const doc = readFileSync(DOC, 'utf8');
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  assert.ok(start >= 0 && end > start, 'docs/assess.md keeps the generated markers');
  const expected = `${doc.slice(0, start + BEGIN.length)}\n${table()}\n${doc.slice(end)}`;
  if (process.env.PORTCULLIS_UPDATE_DOCS === '1') writeFileSync(DOC, expected);
  else assert.equal(doc, expected, 'docs/assess.md is out of date: run PORTCULLIS_UPDATE_DOCS=1 node scripts/run-tests.mjs assess-docs');
  const mentioned = new Set(doc.match(/AS-[A-Z]+-\d{3}/g));
  for (const id of mentioned) assert.ok(assessRules().has(id), `docs/assess.md names ${id}, which the code does not have`);
});

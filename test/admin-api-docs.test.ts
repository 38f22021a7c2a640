/**
 * docs/admin-api.md holds the reference of the people routes (users, roles, admin tokens, sign-in,
 * sessions, MFA, passkeys) rendered from the route table (src/admin/api-reference.ts): this test
 * fails when a route, its permission, body, answer or problems change without the page. Run with
 * PORTCULLIS_UPDATE_DOCS=1 to write the page's generated part again.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderAdminApiReference } from '../src/admin/api-reference.js';
import { ADMIN_ROUTES } from '../src/admin/routes/index.js';

const PAGE = new URL('../../docs/admin-api.md', import.meta.url);
const START = '<!-- reference:start (generated from the route table: test/admin-api-docs.test.ts) -->';
const END = '<!-- reference:end -->';

test('docs/admin-api.md documents every user, role, token, session, MFA and passkey route as served', () => {
  const page = readFileSync(PAGE, 'utf8');
  const [before, rest] = page.split(START);
  assert.ok(rest !== undefined && rest.includes(END), `docs/admin-api.md needs the markers ${START} … ${END}`);
  const after = rest.slice(rest.indexOf(END));
  const generated = `${START}\n\n${renderAdminApiReference(ADMIN_ROUTES)}\n${after}`;
  if (process.env.PORTCULLIS_UPDATE_DOCS === '1') writeFileSync(PAGE, `${before}${generated}`);
  assert.equal(`${before}${START}${rest}`, `${before}${generated}`, 'docs/admin-api.md is out of date: run the test with PORTCULLIS_UPDATE_DOCS=1');
  for (const path of ['/v1/users', '/v1/roles', '/v1/admin-tokens', '/v1/login', '/v1/sessions', '/v1/mfa/totp', '/v1/mfa/webauthn']) assert.ok(page.includes(`${path}`), path);
});

/**
 * The admin plane's and the vault's secrets never reach the audit trail (issue 17 "done when"), on
 * both stores: an admin user's passwords (set by invitation, reset, changed), the invitation and
 * reset codes, the session token, the TOTP seed and the codes from it, recovery codes (first and
 * regenerated), admin tokens (created and rotated) and vault secret values (set, new version,
 * revealed) are made through the real admin API and the vault service; then every column of every
 * audit row and an export bundle are searched for each value, its stored form, and its SHA-256.
 * (API keys, OAuth secrets, CA keys and the configured secrets: test/audit-secrets.test.ts; upstream
 * credential tokens: test/upstream-credentials.test.ts.)
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { totpCodeAt } from '../src/admin/mfa/totp.js';
import { AuditLog } from '../src/audit/audit-log.js';
import { buildBundle, writeBundle } from '../src/audit/bundle.js';
import { ManualClock } from '../src/core/clock.js';
import type { AdminPrincipal } from '../src/core/actor.js';
import { createLogger } from '../src/observability/logger.js';
import { KekRing, LocalKek } from '../src/vault/kek.js';
import { SecretRepository } from '../src/vault/secret-repository.js';
import { VaultService } from '../src/vault/vault-service.js';
import { startAdminApi } from './helpers/admin-api.js';
import { ADMIN_TOKEN } from './helpers/keys.js';
import { testAuthConfig, TEST_SEED_KEY } from './helpers/sign-in.js';
import { STORE_BACKENDS } from './helpers/store-backends.js';

const BOOTSTRAP: AdminPrincipal = { kind: 'bootstrap-token', id: 'bootstrap', permissions: ['*'] };
const sha256 = (value: string) => [createHash('sha256').update(value).digest('hex'), createHash('sha256').update(value).digest('base64url'), createHash('sha256').update(value).digest('base64')];

for (const backend of STORE_BACKENDS) {
  describe(`no admin or vault secret in the audit trail: ${backend.name}`, { skip: backend.skip }, () => {
    test('passwords, one-time codes, session and admin tokens, TOTP seeds, recovery codes and vault values are in no audit row and no export', async () => {
      const { location, cleanup } = await backend.open();
      const clock = new ManualClock(Date.UTC(2026, 5, 1, 9));
      const api = await startAdminApi(location, { clock, signIn: testAuthConfig(), keepBootstrapToken: true });
      const work = mkdtempSync(join(tmpdir(), 'portcullis-audit-secrets-admin-'));
      try {
        const secrets: Array<[string, string]> = [];
        const remember = (label: string, value: string) => {
          assert.ok(value.length >= 6, `${label} is a real secret`);
          secrets.push([label, value]);
          for (const hash of sha256(value)) secrets.push([`sha256(${label})`, hash]);
        };
        const call = async <T>(method: string, path: string, options: { token?: string; body?: unknown } = {}, status = [200, 201]): Promise<T> => {
          const reply = await api.call(method, path, { token: options.token ?? ADMIN_TOKEN, body: options.body ?? (method === 'POST' ? {} : undefined) });
          const text = await reply.text();
          assert.ok(status.includes(reply.status), `${method} ${path}: ${reply.status} ${text}`);
          return JSON.parse(text) as T;
        };
        const PASSWORD = `Tangerine-Quarry-${randomBytes(6).toString('hex')}`;
        const RESET_PASSWORD = `Vellum-Harbour-${randomBytes(6).toString('hex')}`;
        const NEW_PASSWORD = `Orchid-Lantern-${randomBytes(6).toString('hex')}`;

        // Invitation and its code; the password set with it.
        const invited = await api.admin.users.invite(BOOTSTRAP, { name: 'alice', email: 'alice@example.com', roles: ['owner'] });
        remember('invitation code', invited.invitation.code);
        remember('password', PASSWORD);
        await call('POST', '/v1/invitations/accept', { token: '', body: { code: invited.invitation.code, password: PASSWORD } });
        // A reset by another admin, and its code; then a change by the user.
        const reset = await call<{ code: string }>('POST', `/v1/users/${invited.user.id}/reset-password`);
        remember('password reset code', reset.code);
        remember('reset password', RESET_PASSWORD);
        await call('POST', '/v1/password-resets/complete', { token: '', body: { code: reset.code, password: RESET_PASSWORD } });

        const login = async (extra: Record<string, unknown>) => {
          const session = await call<{ token: string }>('POST', '/v1/login', { token: '', body: { name: 'alice', password: RESET_PASSWORD, tokenInBody: true, ...extra } });
          remember('session token', session.token);
          return session.token;
        };
        let token = await login({});
        const enrolment = await call<{ secret: string; otpauthUri: string }>('POST', '/v1/mfa/totp', { token });
        remember('TOTP seed', enrolment.secret);
        remember('otpauth URI', enrolment.otpauthUri);
        const first = await call<{ recoveryCodes: string[] }>('POST', '/v1/mfa/totp/confirm', { token, body: { code: totpCodeAt(enrolment.secret, clock.now()) } });
        assert.equal(first.recoveryCodes.length, 10);
        for (const code of first.recoveryCodes) remember('recovery code', code);
        clock.advance(60_000);
        token = await login({ recoveryCode: first.recoveryCodes[0] });
        clock.advance(60_000);
        const stepped = await call<{ token: string }>('POST', '/v1/session/step-up', { token, body: { code: totpCodeAt(enrolment.secret, clock.now()) } });
        remember('stepped-up session token', stepped.token);
        token = stepped.token;
        const regenerated = await call<{ recoveryCodes: string[] }>('POST', '/v1/mfa/recovery-codes', { token });
        for (const code of regenerated.recoveryCodes) remember('regenerated recovery code', code);
        // Admin tokens (they act for a user): created and rotated by alice.
        const made = await call<{ secret: string; adminToken: { id: string } }>('POST', '/v1/admin-tokens', { token, body: { name: 'ci', permissions: ['consumers:read'], expiresInDays: 30 } });
        remember('admin token', made.secret);
        const rotated = await call<{ secret: string }>('POST', `/v1/admin-tokens/${made.adminToken.id}/rotate`, { token });
        remember('rotated admin token', rotated.secret);
        await call('POST', '/v1/me/password', { token, body: { currentPassword: RESET_PASSWORD, newPassword: NEW_PASSWORD } });
        remember('changed password', NEW_PASSWORD);
        remember('bootstrap token', ADMIN_TOKEN);
        remember('TOTP seed key', TEST_SEED_KEY);

        // Vault values: set, a new version, revealed.
        const logger = createLogger({ level: 'silent', redactHeaders: [] }, { write: () => true });
        const kek = randomBytes(32);
        const vault = new VaultService(api.store, new SecretRepository(api.store.db), new KekRing(new LocalKek(kek, 'env')), logger);
        const VALUE = `payroll-${randomBytes(12).toString('hex')}`;
        const NEXT = `payroll-next-${randomBytes(12).toString('hex')}`;
        await vault.set(BOOTSTRAP, 'payroll', Buffer.from(VALUE));
        await vault.set(BOOTSTRAP, 'payroll', Buffer.from(NEXT));
        assert.equal((await vault.reveal(BOOTSTRAP, 'payroll')).value, NEXT);
        remember('vault value', VALUE);
        remember('rotated vault value', NEXT);
        remember('vault key encryption key', kek.toString('base64'));
        remember('vault key encryption key (hex)', kek.toString('hex'));

        // What the store holds of them counts as secret too.
        const db = api.store.db;
        for (const row of await db.selectFrom('admin_users').selectAll().execute()) for (const [column, value] of Object.entries(row)) if (/hash/.test(column) && typeof value === 'string' && value) remember(`admin_users.${column}`, value);
        for (const row of await db.selectFrom('admin_totp').selectAll().execute()) remember('sealed TOTP seed', row.secret_encrypted);
        for (const row of await db.selectFrom('admin_tokens').selectAll().execute()) for (const [column, value] of Object.entries(row)) if (/hash/.test(column) && typeof value === 'string' && value) remember(`admin_tokens.${column}`, value);

        const rows = await db.selectFrom('audit_records').selectAll().execute();
        const tableText = rows.map((row) => Object.values(row).join('\u0000')).join('\n');
        const actions = new Set(rows.map((row) => row.action));
        for (const action of ['admin_user.invite', 'admin_user.accept_invitation', 'admin_user.reset_password', 'admin_user.complete_password_reset', 'admin_user.change_password', 'admin_mfa.enrol', 'admin_mfa.confirm', 'admin_mfa.recovery_codes_regenerate', 'admin_session.create', 'admin_session.step_up', 'admin_token.create', 'admin_token.rotate', 'secret.set', 'secret.revealed']) {
          assert.ok(actions.has(action), `${action} is in the trail (else searching it would prove nothing)`);
        }
        const bundle = join(work, 'bundle');
        writeBundle(bundle, await buildBundle(new AuditLog(db), { now: clock.now() }));
        const exportText = readdirSync(bundle).map((file) => readFileSync(join(bundle, file), 'utf8')).join('\n');
        assert.ok(exportText.includes('admin_mfa.confirm'));
        for (const [label, value] of secrets) {
          assert.ok(!tableText.includes(value), `${label} is in the audit table`);
          assert.ok(!exportText.includes(value), `${label} is in the export`);
        }
      } finally {
        await api.close();
        rmSync(work, { recursive: true, force: true });
        await cleanup();
      }
    });
  });
}

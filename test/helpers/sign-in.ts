/** The sign-in config (admin.mfa, admin.sessions, admin.login) of the admin login tests: the defaults, with a seed key. */
import type { AdminAuthConfig } from '../../src/admin/sessions/create-admin-auth.js';
import { SecretValue } from '../../src/config/secret.js';

export const TEST_SEED_KEY = 'test-seed-key-0123456789abcdefghijklmnop';

export function testAuthConfig(overrides: Partial<AdminAuthConfig> = {}): AdminAuthConfig {
  return {
    mfa: { required: 'all', gracePeriodHours: 72, stepUpMinutes: 10, issuer: 'Portcullis', seedKey: new SecretValue(TEST_SEED_KEY, '${env:SEED}') },
    sessions: { idleTimeoutMinutes: 15, absoluteTimeoutHours: 8 },
    login: { maxFailuresPerAccountAndIp: 10, maxFailuresPerAccount: 50, maxFailuresPerIp: 100, lockoutMinutes: 15, maxDelaySeconds: 30 },
    ...overrides,
  };
}

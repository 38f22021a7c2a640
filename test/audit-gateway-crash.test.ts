/**
 * Crash safety of the audit trail with the gateway itself (issue 17 §7), on SQLite and PostgreSQL:
 * a real `portcullis start` (admin API, checkpointer on) takes a burst of admin writes from two
 * clients at once and is killed with SIGKILL in the middle of it, twice; after each kill the chain
 * verifies, and every consumer whose creation was acknowledged (201 received) is in the trail.
 * (test/audit-crash.test.ts does the same with the store's writers directly, as the CLI writes.)
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { AuditLog } from '../src/audit/audit-log.js';
import { verifyChain } from '../src/audit/verify.js';
import type { AuditRecord } from '../src/store/audit-record.js';
import { migrateToLatest, openStore } from '../src/store/open-store.js';
import { spawnCli } from './helpers/cli.js';
import { baseConfig, freePort, httpRequest } from './helpers/index.js';
import { ADMIN_TOKEN, KEY_ENV } from './helpers/keys.js';
import { POSTGRES_URL } from './helpers/services.js';
import { STORE_BACKENDS } from './helpers/store.js';

const ROUNDS = 2;
/** Acknowledged writes (both clients together) before the kill. */
const ACKS_BEFORE_KILL = 12;
const AUDIT_KEY = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

for (const backend of STORE_BACKENDS) {
  describe(`the gateway killed with SIGKILL mid-burst of admin writes: ${backend.name}`, { skip: backend.skip }, () => {
    test('the chain verifies after each kill and holds every acknowledged write', async () => {
      const { location, cleanup } = await backend.open();
      const dir = mkdtempSync(join(tmpdir(), 'portcullis-gateway-crash-'));
      const env: Record<string, string> = { ...KEY_ENV, PORTCULLIS_AUDIT_KEY: AUDIT_KEY };
      let store: Record<string, unknown> = { path: location.driver === 'sqlite' ? location.path : '' };
      if (location.driver === 'postgres') {
        const url = new URL(POSTGRES_URL);
        url.searchParams.set('options', `-c search_path=${location.schema}`);
        env.PORTCULLIS_DATABASE_URL = url.toString();
        store = { driver: 'postgres', url: '${env:PORTCULLIS_DATABASE_URL}' };
      }
      const acked: string[] = [];
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const adminPort = await freePort();
          const file = join(dir, `round-${round}.json`);
          writeFileSync(file, JSON.stringify(baseConfig(['http://127.0.0.1:9'], { admin: { host: '127.0.0.1', port: adminPort, token: '${env:PORTCULLIS_ADMIN_TOKEN}' }, store, apiKeys: { pepper: '${env:PORTCULLIS_KEY_PEPPER}' }, audit: { signingKey: '${env:PORTCULLIS_AUDIT_KEY}', checkpoint: { everyRecords: 5, everySeconds: 1 } } })));
          const gateway = spawnCli(['start', '--config', file], env);
          try {
            await gateway.waitForLine(/gateway\.started/);
            // Two clients write until the gateway dies under them; only a 201 counts as acknowledged.
            const client = async (name: string) => {
              for (let i = 0; ; i++) {
                const consumer = `r${round}-${name}-${i}`;
                const reply = await httpRequest(`http://127.0.0.1:${adminPort}/v1/consumers`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: consumer }) }).catch(() => undefined);
                if (reply?.status !== 201) return;
                acked.push(consumer);
                if (acked.length >= (round + 1) * ACKS_BEFORE_KILL && gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
              }
            };
            await Promise.all([client('a'), client('b')]);
            assert.equal(await gateway.exited, null, 'killed, not exited');
          } finally {
            gateway.child.kill('SIGKILL');
          }
          const opened = openStore(location);
          try {
            await migrateToLatest(opened);
            const log = new AuditLog(opened.db);
            const report = await verifyChain(await log.liveChain());
            assert.deepEqual(report.findings.filter((finding) => finding.kind !== 'not_anchored'), [], JSON.stringify(report.findings));
            const created = new Set<string>();
            for await (const stored of log.walk()) {
              const record = JSON.parse(stored.text) as AuditRecord;
              if (record.action === 'consumer.create') created.add(String(record.changes?.after?.name));
            }
            assert.deepEqual(acked.filter((name) => !created.has(name)), [], 'every acknowledged write is in the trail');
          } finally {
            await opened.close();
          }
        }
        assert.ok(acked.length >= ROUNDS * ACKS_BEFORE_KILL);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await cleanup();
      }
    });
  });
}

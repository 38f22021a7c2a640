/**
 * `portcullis audit archive` end to end through the real CLI on both stores (docs/audit.md#retention-and-archiving):
 * the retention refuses a --before within it, nothing older than a checkpoint is "nothing to
 * archive" (exit 0), an archive writes a bundle that verifies offline, removes the records up to the
 * checkpoint and records audit.archived with the bundle's records.jsonl SHA-256; then `audit verify`
 * on the live store says where the chain starts and which checkpoint anchors it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { AuditLog } from '../src/audit/audit-log.js';
import { AuditCheckpointer } from '../src/audit/checkpointer.js';
import { systemClock } from '../src/core/clock.js';
import { migrateToLatest, openStore } from '../src/store/open-store.js';
import { ConsumerRepository } from '../src/store/repositories.js';
import { newCheckpointKey } from './helpers/audit.js';
import { runCliAsync } from './helpers/cli.js';
import { baseConfig } from './helpers/index.js';
import { POSTGRES_URL } from './helpers/services.js';
import { STORE_BACKENDS, storeFor, TEST_ACTOR } from './helpers/store.js';

for (const backend of STORE_BACKENDS) {
  describe(`portcullis audit archive: ${backend.name}`, { skip: backend.skip }, () => {
    test('refuses within the retention, archives at a checkpoint into a bundle that verifies, and verify says where the chain starts', async () => {
      const { location, cleanup } = await backend.open();
      const dir = mkdtempSync(join(tmpdir(), 'portcullis-archive-cli-'));
      try {
        const opened = openStore(location);
        await migrateToLatest(opened);
        const store = storeFor(opened, systemClock);
        const consumers = new ConsumerRepository(store.db);
        const checkpointer = new AuditCheckpointer(store, await newCheckpointKey(), { everyRecords: 5, everySeconds: 3600 }, { clock: systemClock, logger: () => undefined as never });
        for (let i = 0; i < 12; i++) {
          await store.write(TEST_ACTOR, 'consumer.create', (tx) => consumers.create(tx, { name: `partner-${i}` }));
          if (i === 4 || i === 9) assert.ok(await checkpointer.checkpointIfDue());
        }
        await store.close();

        let env: Record<string, string> = {};
        let storeConfig: Record<string, unknown> = { path: location.driver === 'sqlite' ? location.path : '' };
        if (location.driver === 'postgres') {
          const url = new URL(POSTGRES_URL);
          url.searchParams.set('options', `-c search_path=${location.schema}`);
          env = { PORTCULLIS_DATABASE_URL: url.toString() };
          storeConfig = { driver: 'postgres', url: '${env:PORTCULLIS_DATABASE_URL}' };
        }
        const configFile = (name: string, audit: Record<string, unknown>) => {
          const file = join(dir, name);
          writeFileSync(file, JSON.stringify(baseConfig(['http://127.0.0.1:1'], { store: storeConfig, audit })));
          return file;
        };
        const kept = configFile('kept.json', {});
        const open = configFile('open.json', { retention: { minimumDays: 0 } });
        const cli = (...args: string[]) => runCliAsync(args, env);
        const out = join(dir, 'archive-1');

        // The refusals are the CLI's own checks, the same on both stores: once is enough (each CLI run loads the whole gateway).
        const sqliteOnly = backend.name === 'SQLite';
        if (sqliteOnly) {
          const refused = await cli('audit', 'archive', '--before', new Date().toISOString(), '--out', out, '--config', kept);
          assert.equal(refused.status, 1, refused.stdout);
          assert.match(refused.stderr, /is within audit\.retention\.minimumDays \(90 days\)/);
          const nothing = await cli('audit', 'archive', '--before', '2000-01-01T00:00:00Z', '--out', out, '--config', open);
          assert.deepEqual([nothing.status, nothing.stdout], [0, 'nothing to archive: no checkpoint anchors only records older than 2000-01-01T00:00:00.000Z\n'], nothing.stderr);
        }

        const archived = await cli('audit', 'archive', '--before', new Date().toISOString(), '--out', out, '--config', open);
        assert.equal(archived.status, 0, archived.stderr);
        const sha = createHash('sha256').update(readFileSync(join(out, 'records.jsonl'))).digest('hex');
        assert.match(archived.stdout, new RegExp(`^archived records 1\\.\\.10 \\(10\\) to ${out} \\(records\\.jsonl SHA-256 ${sha}\\)\n`));
        assert.match(archived.stdout, /the chain now starts at seq 11, anchored by checkpoint 6\.\.10; recorded as audit\.archived \(seq 13\)/);

        const bundle = await cli('audit', 'verify', out, '--format', 'json');
        assert.equal(bundle.status, 0, bundle.stdout);
        assert.deepEqual((({ records, firstSeq, lastSeq, anchoredThrough }) => ({ records, firstSeq, lastSeq, anchoredThrough }))(JSON.parse(bundle.stdout) as Record<string, unknown>), { records: 10, firstSeq: 1, lastSeq: 10, anchoredThrough: 10 });

        const live = await cli('audit', 'verify', '--config', open);
        assert.equal(live.status, 8, live.stdout + live.stderr);
        assert.match(live.stdout, /^audit trail: 3 records \(seq 11\.\.13\), 2 checkpoints, anchored through seq 0; chain starts at seq 11, anchored by checkpoint 6\.\.10\n/);
        assert.match(live.stdout, /\nrecords through seq 10 were archived \(audit\.archived\)\n/);
        assert.match(live.stdout, /WARN not_anchored: records 11\.\.13 are not yet anchored/);

        const check = openStore(location);
        try {
          const record = (await new AuditLog(check.db).get(13))!;
          assert.deepEqual([record.action, record.actor.type, record.detail?.bundleSha256, record.detail?.throughSeq], ['audit.archived', 'cli', sha, 10]);
          assert.equal(await new AuditLog(check.db).firstSeq(), 11);
        } finally {
          await check.close();
        }

        if (sqliteOnly) {
          const again = await cli('audit', 'archive', '--before', new Date().toISOString(), '--out', out, '--config', open);
          assert.equal(again.status, 1);
          assert.match(again.stderr, /already holds a bundle/);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await cleanup();
      }
    });
  });
}

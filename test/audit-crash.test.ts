/**
 * Crash safety of the audit trail (issue 17 §7), on SQLite and PostgreSQL: writer processes are
 * killed with SIGKILL in the middle of a burst of writes, three times; afterwards the chain
 * verifies and every write that was acknowledged (its commit returned) is in it. Two writers run at
 * once in every round, so two processes (two nodes, on PostgreSQL) append to one chain.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { AuditLog } from '../src/audit/audit-log.js';
import { verifyChain } from '../src/audit/verify.js';
import { migrateToLatest, openStore, type StoreLocation } from '../src/store/open-store.js';
import type { AuditRecord } from '../src/store/audit-record.js';
import { STORE_BACKENDS } from './helpers/store.js';

const WRITER = fileURLToPath(new URL('./helpers/audit-writer.js', import.meta.url));
const ROUNDS = 3;
/** Acknowledged writes per writer before the kill: enough to be mid-burst, few enough to stay fast. */
const ACKS_BEFORE_KILL = 15;

/** Starts a writer; resolves with its acknowledged names once it was killed after `acks` of them. */
function writeUntilKilled(location: StoreLocation, prefix: string, acks: number): Promise<string[]> {
  const child = spawn(process.execPath, [WRITER, JSON.stringify(location), prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked: string[] = [];
  let buffered = '';
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (data: Buffer) => {
      buffered += data.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (line.startsWith('ack ')) acked.push(line.slice(4));
      // SIGKILL while it keeps writing: the next unit of work is open or committing right now.
      if (acked.length >= acks && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.once('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`the writer exited by itself (${code}): ${stderr}`));
    });
  });
}

for (const backend of STORE_BACKENDS) {
  describe(`audit trail survives kill -9: ${backend.name}`, { skip: backend.skip }, () => {
    test('after repeated SIGKILLs of two concurrent writers the chain verifies and holds every acknowledged write', async () => {
      const { location, cleanup } = await backend.open();
      const opened = openStore(location);
      try {
        await migrateToLatest(opened);
        const acknowledged: string[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const [a, b] = await Promise.all([writeUntilKilled(location, `r${round}a`, ACKS_BEFORE_KILL), writeUntilKilled(location, `r${round}b`, ACKS_BEFORE_KILL)]);
          acknowledged.push(...a, ...b);
        }
        const report = await verifyChain(await new AuditLog(opened.db).liveChain());
        // No checkpoints in this test: the only finding allowed is that the tail is not yet anchored.
        assert.deepEqual(report.findings.map((f) => f.kind), ['not_anchored'], JSON.stringify(report.findings));
        assert.equal(report.firstSeq, 1);
        const names = new Set<string>();
        for await (const stored of new AuditLog(opened.db).walk()) names.add(String((JSON.parse(stored.text) as AuditRecord).changes?.after?.name));
        const lost = acknowledged.filter((name) => !names.has(name));
        assert.deepEqual(lost, [], 'every acknowledged write is in the chain');
        assert.ok(acknowledged.length >= ROUNDS * 2 * ACKS_BEFORE_KILL);
        const consumers = await opened.db.selectFrom('consumers').select('name').execute();
        assert.equal(consumers.length, report.records, 'one record per committed change, no more, no less');
      } finally {
        await opened.close();
        await cleanup();
      }
    });
  });
}

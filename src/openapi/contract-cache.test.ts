import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ContractCache } from './contract-cache.js';
import { prepareContracts } from './contract-prepare.js';
import { forgetVerdicts } from './contract-verdicts.js';
import { loadContract } from './contract.js';

const OPTIONS = { strictBodies: true, responses: false };

/** A contract; `pattern` lets a test make one that does not compile (an invalid regular expression). */
function contract(pattern = '^[a-z]+$'): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-cache-contract-'));
  const path = join(dir, 'contract.json');
  writeFileSync(path, JSON.stringify({
    openapi: '3.1.0',
    info: { title: 't', version: '1' },
    paths: { '/items/{id}': { get: { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern } }], responses: { 200: { description: 'ok' } } } } },
  }));
  return path;
}

const cacheDir = () => join(mkdtempSync(join(tmpdir(), 'portcullis-cache-')), 'contracts');

/** What a restart forgets: the verdicts known in this process. */
async function afterRestart(path: string, cache: ContractCache) {
  forgetVerdicts();
  const [prepared] = await prepareContracts([{ path, options: OPTIONS }], cache);
  return prepared!;
}

describe('the contract cache', () => {
  test('is created 0700 with 0600 files, and used after a restart for an unchanged contract', async () => {
    const path = contract();
    const cache = new ContractCache(cacheDir());
    assert.equal((await afterRestart(path, cache)).source, 'compiled');
    const prepared = await afterRestart(path, cache);
    assert.equal(prepared.source, 'cache');
    assert.equal(prepared.cacheRefused, undefined);
    assert.equal(statSync(cache.dir).mode & 0o777, 0o700);
    for (const name of readdirSync(cache.dir)) assert.equal(statSync(join(cache.dir, name)).mode & 0o777, 0o600, name);
    // Compiled on first use, and it validates.
    const operation = loadContract(path, OPTIONS).operations[0]!;
    assert.equal(operation.parameters.path.validate!({ id: 'abc' }), true);
    assert.equal(operation.parameters.path.validate!({ id: 'ABC' }), false);
  });

  test('refuses an entry whose content does not match the index: a forged "compiles" for a broken contract is not believed', async () => {
    const good = contract();
    const cache = new ContractCache(cacheDir());
    await afterRestart(good, cache);
    // The broken contract differs from the good one only in its pattern. Forge its entry: the
    // good entry's content with the broken contract's digest, without updating the index.
    const broken = contract('[');
    const digest = createHash('sha256').update(readFileSync(broken)).digest('hex');
    const entry = readdirSync(cache.dir).find((name) => name !== 'index.json')!;
    const forged = JSON.parse(readFileSync(join(cache.dir, entry), 'utf8')) as Record<string, unknown>;
    forged.contractSha256 = digest;
    const forgedName = `${createHash('sha256').update(JSON.stringify(forged)).digest('hex')}.json`;
    writeFileSync(join(cache.dir, forgedName), JSON.stringify(forged), { mode: 0o600 });
    const prepared = await afterRestart(broken, cache);
    assert.deepEqual(prepared.cacheRefused, { reason: 'digest-mismatch', file: join(cache.dir, forgedName) });
    assert.equal(prepared.source, 'failed', 'compiled whole instead, which finds the broken pattern');
    assert.throws(() => loadContract(broken, OPTIONS), /schema does not compile/);
  });

  test('refuses a folder that others can write to, and a file that others can write to', async () => {
    const path = contract();
    const cache = new ContractCache(cacheDir());
    await afterRestart(path, cache);
    chmodSync(cache.dir, 0o777);
    let prepared = await afterRestart(path, cache);
    assert.deepEqual(prepared.cacheRefused, { reason: 'writable-by-others', file: cache.dir });
    assert.equal(prepared.source, 'compiled');
    chmodSync(cache.dir, 0o700);
    chmodSync(join(cache.dir, 'index.json'), 0o666);
    prepared = await afterRestart(path, cache);
    assert.deepEqual(prepared.cacheRefused, { reason: 'writable-by-others', file: join(cache.dir, 'index.json') });
    assert.equal(prepared.source, 'compiled');
  });

  test('refuses a folder owned by another user', { skip: process.getuid?.() !== 0 && 'needs root to give the folder away' }, async () => {
    const path = contract();
    const cache = new ContractCache(cacheDir());
    await afterRestart(path, cache);
    chownSync(cache.dir, 65534, 65534);
    const prepared = await afterRestart(path, cache);
    assert.deepEqual(prepared.cacheRefused, { reason: 'not-owned', file: cache.dir });
    assert.equal(prepared.source, 'compiled');
  });

  test('a contract that does not compile is refused with the same error as without a worker', async () => {
    const broken = contract('(');
    forgetVerdicts();
    const [prepared] = await prepareContracts([{ path: broken, options: OPTIONS }], undefined);
    assert.equal(prepared!.source, 'failed');
    const viaWorker = (() => { try { loadContract(broken, OPTIONS); } catch (error) { return (error as Error).message; } return 'no error'; })();
    forgetVerdicts();
    const copy = contract('(');
    const direct = (() => { try { loadContract(copy, OPTIONS); } catch (error) { return (error as Error).message; } return 'no error'; })();
    assert.match(viaWorker, /schema does not compile/);
    assert.equal(viaWorker, direct);
  });
});

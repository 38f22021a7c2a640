/**
 * Editing a consumer's metadata (issue 24 §5): PATCH /v1/consumers/:id merges a JSON Merge Patch
 * (RFC 7396) into the metadata, checks the key-age policy of the result, and is audited with the
 * metadata before and after; `portcullis consumers update <id> --metadata … --max-age-days N`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCliAsync } from './helpers/cli.js';
import { assertProblem, startUpstream, type TestUpstream } from './helpers/index.js';
import { ADMIN_TOKEN, startKeyGateway } from './helpers/keys.js';

interface Consumer {
  id: string;
  metadata: Record<string, unknown>;
}

describe('PATCH /v1/consumers/:id and consumers update', () => {
  let upstream: TestUpstream;
  let gw: Awaited<ReturnType<typeof startKeyGateway>>;

  before(async () => {
    upstream = await startUpstream();
    gw = await startKeyGateway(upstream.url);
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  const create = async (name: string, metadata: Record<string, unknown>) => (await gw.admin.call('POST', '/v1/consumers', { name, metadata })).json<Consumer>().id;

  test('merges the patch (null removes, objects merge), keeps the rest, and records before and after in the audit trail', async () => {
    const id = await create('merge-co', { team: 'payments', tier: 'gold', apiKeys: { maxAgeDays: 60, note: 'contract 7' } });
    const reply = await gw.admin.call('PATCH', `/v1/consumers/${id}`, { metadata: { tier: null, region: 'eu', apiKeys: { maxAgeDays: 30 } } });
    assert.equal(reply.status, 200, reply.text);
    const expected = { team: 'payments', region: 'eu', apiKeys: { maxAgeDays: 30, note: 'contract 7' } };
    assert.deepEqual(reply.json<Consumer>().metadata, expected);
    assert.deepEqual((await gw.admin.call('GET', `/v1/consumers/${id}`)).json<Consumer>().metadata, expected);

    const audit = (await gw.admin.call('GET', `/v1/audit?action=consumer.update&target=${id}`)).json<{ items: Array<{ actor: { type: string }; changes: { before: { metadata: unknown }; after: { metadata: unknown } }; detail: unknown }> }>().items;
    assert.equal(audit.length, 1);
    // The trail masks members named like apiKeys; the key-age policy before and after is in `detail`.
    assert.deepEqual(audit[0]!.changes.before.metadata, { team: 'payments', tier: 'gold', apiKeys: '[secret]' });
    assert.deepEqual(audit[0]!.changes.after.metadata, { team: 'payments', region: 'eu', apiKeys: '[secret]' });
    assert.deepEqual(audit[0]!.detail, { keyMaxAgeDays: { before: 60, after: 30 } });

    // The new policy applies to the next key at once.
    const key = await gw.admin.call('POST', '/v1/keys', { consumerId: id, name: 'k', scopes: [], expiresInDays: 31 });
    assertProblem(key, 400, 'admin.invalid_request');
    assert.match(key.json<{ detail: string }>().detail, /between 1 and 30/);
  });

  test('refuses a result whose key-age policy is not 1-3650 whole days, changing nothing; 404 for an unknown consumer; 400 for a body without metadata', async () => {
    const id = await create('strict-co', { apiKeys: { maxAgeDays: 45 } });
    for (const metadata of [{ apiKeys: { maxAgeDays: 0 } }, { apiKeys: { maxAgeDays: 3651 } }, { apiKeys: { maxAgeDays: '30' } }, { apiKeys: 30 }]) {
      assertProblem(await gw.admin.call('PATCH', `/v1/consumers/${id}`, { metadata }), 400, 'admin.invalid_request');
    }
    assert.deepEqual((await gw.admin.call('GET', `/v1/consumers/${id}`)).json<Consumer>().metadata, { apiKeys: { maxAgeDays: 45 } });
    assert.equal((await gw.admin.call('GET', `/v1/audit?action=consumer.update&target=${id}`)).json<{ items: unknown[] }>().items.length, 0, 'a refused patch is not recorded as a change');
    assertProblem(await gw.admin.call('PATCH', '/v1/consumers/con_nobody', { metadata: {} }), 404, 'admin.not_found');
    assertProblem(await gw.admin.call('PATCH', `/v1/consumers/${id}`, { name: 'renamed' }), 400, 'admin.invalid_request');
  });

  test('consumers update sets and removes the key-age policy and merges --metadata; refuses a bad value before calling the API', async () => {
    const env = { PORTCULLIS_ADMIN_URL: gw.gateway.adminUrl, PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN };
    const id = await create('cli-co', { team: 'ops', apiKeys: { note: 'n' } });
    const set = await runCliAsync(['consumers', 'update', id, '--max-age-days', '30', '--metadata', '{"region":"eu","team":null}', '--json'], env);
    assert.equal(set.status, 0, set.stderr);
    assert.deepEqual((JSON.parse(set.stdout) as Consumer).metadata, { region: 'eu', apiKeys: { note: 'n', maxAgeDays: 30 } });
    const removed = await runCliAsync(['consumers', 'update', id, '--max-age-days', 'none'], env);
    assert.equal(removed.status, 0, removed.stderr);
    assert.match(removed.stdout, new RegExp(`^ID\\s+NAME\\s+STATUS\\s+CREATEDAT\\s+METADATA\\n${id}\\s+cli-co\\s+active\\s+\\S+\\s+\\{"apiKeys":\\{"note":"n"\\},"region":"eu"\\}\\n$`));

    const bad = await runCliAsync(['consumers', 'update', id, '--max-age-days', '30d'], env);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--max-age-days <days>' argument '30d' is invalid\. must be a whole number of days from 1 to 3650, or none/);
    const nothing = await runCliAsync(['consumers', 'update', id], env);
    assert.equal(nothing.status, 1);
    assert.equal(nothing.stderr, 'portcullis: nothing to change: give --metadata and/or --max-age-days\n');
    const notObject = await runCliAsync(['consumers', 'update', id, '--metadata', '[1]'], env);
    assert.equal(notObject.stderr, 'portcullis: --metadata must be a JSON object\n');
    // Refused values changed nothing.
    assert.deepEqual((await gw.admin.call('GET', `/v1/consumers/${id}`)).json<Consumer>().metadata, { region: 'eu', apiKeys: { note: 'n' } });
  });
});

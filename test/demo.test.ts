import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { totpCodeAt } from '../src/admin/mfa/totp.js';
import { runCliAsync, spawnCli } from './helpers/cli.js';
import { assertProblem, httpRequest } from './helpers/index.js';

test('the demo answers through the gateway with its keys, injects the upstream credential and stops cleanly', async () => {
  const demo = spawnCli(['demo', '--port', '0', '--admin-port', '0', '--json']);
  try {
    const addresses = JSON.parse(await demo.waitForLine(/^\{"gateway"/)) as { gateway: string; admin: string; adminConsole: string; upstream: string; keys: { full: string; readOnly: string; adminToken: string }; owner: { name: string; password: string; totpSecret: string; otpauthUri: string; recoveryCodes: string[] } };
    const full = { authorization: `Bearer ${addresses.keys.full}` };

    assertProblem(await httpRequest(`${addresses.gateway}/v1/accounts`), 401, 'auth.missing_credentials');
    const accounts = await httpRequest(`${addresses.gateway}/v1/accounts`, { headers: full });
    assert.equal(accounts.status, 200);
    assert.equal(accounts.json<{ data: unknown[] }>().data.length, 2);
    assert.equal(accounts.headers.server, undefined, 'the upstream Server header is removed');
    assert.equal(accounts.headers['x-powered-by'], undefined);
    assert.equal(accounts.headers['x-content-type-options'], 'nosniff');
    // Rate-limited per consumer, and the client is told its budget.
    assert.equal(accounts.headers['ratelimit-policy'], '"per-second";q=10;w=2, "per-day";q=10000;w=86400');
    assert.match(String(accounts.headers['ratelimit']), /^"per-second";r=\d+;t=\d+, "per-day";r=\d+;t=\d+$/);

    const payment = await httpRequest(`${addresses.gateway}/v1/payments`, {
      method: 'POST',
      headers: { ...full, 'content-type': 'application/json' },
      body: JSON.stringify({ fromAccount: 'acc_1001', toIban: 'DE89370400440532013000', amount: 2500 }),
    });
    assert.equal(payment.status, 201);
    const id = payment.json<{ id: string }>().id;
    assert.equal((await httpRequest(`${addresses.gateway}/v1/payments/${id}`, { headers: full })).status, 200);
    // The sample API's OpenAPI contract refuses what does not match, before the upstream sees it.
    const invalid = assertProblem(
      await httpRequest(`${addresses.gateway}/v1/payments`, {
        method: 'POST',
        headers: { ...full, 'content-type': 'application/json' },
        body: JSON.stringify({ fromAccount: 'acc_1001', toIban: 'DE89', amount: '2500', admin: true }),
      }),
      400,
      'validation.failed',
    ) as unknown as { errors: Array<{ pointer: string; keyword: string }> };
    assert.deepEqual(invalid.errors.map((e) => `${e.pointer} ${e.keyword}`).sort(), ['/body/admin unevaluatedProperties', '/body/amount type', '/body/toIban pattern']);
    assertProblem(await httpRequest(`${addresses.gateway}/v1/accounts/${encodeURIComponent("1' OR '1'='1")}`, { headers: full }), 400, 'validation.failed');
    const readOnly = { authorization: `Bearer ${addresses.keys.readOnly}` };
    assertProblem(await httpRequest(`${addresses.gateway}/v1/payments`, { method: 'POST', headers: readOnly, body: '{}' }), 403, 'auth.insufficient_scope');
    const keyList = await httpRequest(`${addresses.admin}/v1/keys`, { headers: { authorization: `Bearer ${addresses.keys.adminToken}` } });
    assert.equal(keyList.json<{ items: unknown[] }>().items.length, 2);

    // The printed owner signs in with the printed password and a code computed from the printed TOTP secret.
    const { owner } = addresses;
    assert.equal(owner.name, 'demo-owner');
    assert.match(owner.otpauthUri, new RegExp(`^otpauth://totp/Portcullis:demo-owner\\?.*secret=${owner.totpSecret}`));
    assert.equal(owner.recoveryCodes.length, 10);
    const signIn = (body: Record<string, unknown>) => httpRequest(`${addresses.admin}/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: owner.name, password: owner.password, tokenInBody: true, ...body }) });
    assertProblem(await signIn({}), 401, 'admin.mfa_required');
    const session = await signIn({ code: totpCodeAt(owner.totpSecret, Date.now()) });
    assert.equal(session.status, 201, session.text);
    assert.equal(session.json<{ method: string }>().method, 'password+totp');
    const whoami = await httpRequest(`${addresses.admin}/v1/whoami`, { headers: { authorization: `Bearer ${session.json<{ token: string }>().token}` } });
    assert.equal(whoami.status, 200, whoami.text);
    assert.ok(whoami.json<{ permissions: string[] }>().permissions.includes('users:write'), whoami.text);

    assert.equal((await httpRequest(`${addresses.upstream}/accounts`)).status, 401, 'only the gateway holds the upstream token');
    assertProblem(await httpRequest(`${addresses.gateway}/v1/payments`, { method: 'POST', headers: full, body: Buffer.alloc(5000) }), 413, 'request.body_too_large');
    assert.equal((await httpRequest(`${addresses.admin}/readyz`)).status, 200);
    // The console is on, at the address the demo prints (test/console.test.ts drives it in a browser).
    assert.equal(addresses.adminConsole, `${addresses.admin}/console/`);
    const consolePage = await httpRequest(addresses.adminConsole);
    assert.equal(consolePage.status, 200);
    assert.match(consolePage.text, /<title>Portcullis console<\/title>/);
    // Bursts of 15 against a budget of 10 per 2 s. A loaded machine can spread one burst thinly
    // enough for the budget to refill, so a few bursts are allowed; without the limit none is refused.
    let refused: Awaited<ReturnType<typeof httpRequest>> | undefined;
    for (let round = 0; round < 5 && !refused; round++) {
      const burst = await Promise.all(Array.from({ length: 15 }, () => httpRequest(`${addresses.gateway}/v1/accounts`, { headers: readOnly })));
      refused = burst.find((reply) => reply.status === 429);
    }
    assert.ok(refused, 'a burst past 10 per consumer is refused');
    assert.equal(assertProblem(refused, 429, 'ratelimit.exceeded').limit, 'per-second');

    demo.child.kill('SIGTERM');
    assert.equal(await demo.exited, 0);
  } finally {
    demo.child.kill('SIGKILL');
  }
});

test('the demo prints the commands that show and verify its own audit trail, and they work as printed', async () => {
  const demo = spawnCli(['demo', '--port', '0', '--admin-port', '0']);
  const work = mkdtempSync(join(tmpdir(), 'portcullis-demo-audit-'));
  try {
    await demo.waitForLine(/^JSON access logs follow below/);
    const tour = demo.output();
    const exported = /^ {2}export PORTCULLIS_ADMIN_URL=(\S+) PORTCULLIS_ADMIN_TOKEN=(\S+)$/m.exec(tour);
    assert.ok(exported, tour);
    const env = { PORTCULLIS_ADMIN_URL: exported[1]!, PORTCULLIS_ADMIN_TOKEN: exported[2]! };
    // The tour prints the console's address and the owner's login beside it.
    assert.match(tour, new RegExp(`^ {2}Console: {2}${exported[1]!.replace(/[.]/g, '\\.')}/console/ {3}\\(sign in as demo-owner`, 'm'));
    assert.match(tour, /^ {2}name: {5}demo-owner$/m);
    // The printed commands, as printed (without the comments), run from a scratch folder.
    const commands = [...tour.matchAll(/^ {2}node dist\/src\/cli\/main\.js (audit [^#\n]*?)\s*(?:#.*)?$/gm)].map((match) => match[1]!.split(' && node dist/src/cli/main.js '));
    assert.deepEqual(commands.map((line) => line.map((command) => command.split(' ').slice(0, 2).join(' '))), [['audit list'], ['audit export', 'audit verify']]);
    const run = (command: string) => runCliAsync(command.split(' ').map((arg) => arg.replace(/^\.\/demo-audit$/, join(work, 'demo-audit'))), env);
    const list = await run(commands[0]![0]!);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /cli:demo\s+consumer\.create/);
    assert.match(list.stdout, /api_key\.create/);
    const exportRun = await run(commands[1]![0]!);
    assert.equal(exportRun.status, 0, exportRun.stderr);
    const verify = await run(commands[1]![1]!);
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /^audit trail: \d+ records \(seq 1\.\.\d+\)/);
  } finally {
    demo.child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
});

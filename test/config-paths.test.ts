/**
 * One rule for every path option (issue 12 §5): a relative path in the config is relative to the
 * config file's folder, never to the working directory. Each path option is tested, and a test
 * over the schema makes a new path option fail here until it is marked and tested.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { before, describe, test } from 'node:test';
import { formatIssue, loadConfigFile } from '../src/config/loader.js';
import { ConfigSchema } from '../src/config/schema.js';
import { BUNDLED_COUNTRY_DATABASE } from '../src/geo/geo-database.js';
import { makeTestPki, type TestPki } from './helpers/certs.js';
import { PAYMENTS_CONTRACT } from './helpers/contracts.js';
import { runCliAsync } from './helpers/cli.js';

/** Every option marked filePath, as a config path with [] for list items and * for map keys. */
function filePathOptions(node: Record<string, unknown>, at: string, out: string[]): string[] {
  if (node.filePath === true) out.push(at);
  const properties = node.properties as Record<string, Record<string, unknown>> | undefined;
  for (const [key, child] of Object.entries(properties ?? {})) filePathOptions(child, at === '' ? key : `${at}.${key}`, out);
  for (const child of Object.values((node.patternProperties ?? {}) as Record<string, Record<string, unknown>>)) filePathOptions(child, `${at}.*`, out);
  if (node.items && typeof node.items === 'object') filePathOptions(node.items as Record<string, unknown>, `${at}[]`, out);
  return out;
}

/** String options whose name says they are a file or folder. */
function fileLikeOptions(node: Record<string, unknown>, at: string, name: string, out: string[]): string[] {
  if (node.type === 'string' && /(File|Files|Path|Dir|^path)$/.test(name) && !/^(crlPath|pathPrefix)$/.test(name) && !/^(routes\[\]|contractRoutes\[\])\.path$/.test(at) && !/\.fields\.(response|request)\.redact\[\]\.path$/.test(at)) out.push(at); // a route's path and a field's JSON Pointer are not files
  const properties = node.properties as Record<string, Record<string, unknown>> | undefined;
  for (const [key, child] of Object.entries(properties ?? {})) fileLikeOptions(child, at === '' ? key : `${at}.${key}`, key, out);
  for (const child of Object.values((node.patternProperties ?? {}) as Record<string, Record<string, unknown>>)) fileLikeOptions(child, `${at}.*`, name, out);
  if (node.items && typeof node.items === 'object') fileLikeOptions(node.items as Record<string, unknown>, `${at}[]`, name, out);
  return out;
}

const TESTED = [
  'listeners[].tls.certFile',
  'listeners[].tls.keyFile',
  'listeners[].tls.clientCertificates.caFiles[]',
  'listeners[].tls.clientCertificates.crl.files[]',
  'store.path',
  'geo.databasePath',
  'pki.caDir',
  'upstreams.*.tls.caFiles[]',
  'upstreams.*.tls.certFile',
  'upstreams.*.tls.keyFile',
  'policies.validate.contract',
  'routes[].policies.validate.contract',
  'contractRoutes[].contract',
  'contractRoutes[].policies.validate.contract',
  'contractCache.dir',
  'audit.signingKeyFile',
  'audit.sinks[].path',
  'audit.sinks[].caFile',
  'audit.sinks[].certFile',
  'audit.sinks[].keyFile',
  'alerts.sinks.*.caFile',
  'tracing.otlp.caFile',
  'vault.kek.file',
  'vault.previousKeks[].file',
  'credentials.caFiles[]',
  'admin.tls.certFile',
  'admin.tls.keyFile',
  'admin.tls.clientCertificates.caFiles[]',
  'admin.tls.clientCertificates.crl.files[]',
];

describe('path options', () => {
  let pki: TestPki;
  let configDir: string;
  before(async () => {
    pki = await makeTestPki();
    configDir = mkdtempSync(join(tmpdir(), 'portcullis-paths-'));
    mkdirSync(join(configDir, 'tls'));
    for (const file of [pki.serverCert, pki.serverKey, pki.caBundle, pki.crlFile, pki.client.cert, pki.client.key, pki.rootCa]) copyFileSync(file, join(configDir, 'tls', basename(file)));
    writeFileSync(join(configDir, 'payments.yaml'), PAYMENTS_CONTRACT);
    symlinkSync(BUNDLED_COUNTRY_DATABASE, join(configDir, 'country.mmdb'));
    mkdirSync(join(configDir, 'ca'));
  });

  test('every path option is marked as one, and each is tested here', () => {
    const marked = filePathOptions(ConfigSchema as unknown as Record<string, unknown>, '', []);
    assert.deepEqual([...marked].sort(), [...TESTED].sort());
    const unmarked = fileLikeOptions(ConfigSchema as unknown as Record<string, unknown>, '', '', []).filter((option) => !marked.includes(option));
    assert.deepEqual(unmarked, [], 'an option named like a file is not resolved against the config folder');
  });

  test("each relative path is resolved against the config file's folder, not the working directory", async () => {
    assert.notEqual(process.cwd(), configDir);
    const tls = (name: string) => `tls/${basename(name)}`;
    const validate = { contract: 'payments.yaml' };
    const file = join(configDir, 'portcullis.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        listeners: [
          {
            name: 'public',
            port: 0,
            tls: { certFile: tls(pki.serverCert), keyFile: tls(pki.serverKey), clientCertificates: { mode: 'optional', caFiles: [tls(pki.caBundle)], crl: { files: [tls(pki.crlFile)] } } },
          },
        ],
        admin: { port: 0, tls: { certFile: tls(pki.serverCert), keyFile: tls(pki.serverKey), clientCertificates: { mode: 'required', caFiles: [tls(pki.caBundle)], crl: { files: [tls(pki.crlFile)] } } } },
        store: { path: 'data/gateway.db' },
        geo: { databasePath: 'country.mmdb' },
        pki: { caDir: 'ca' },
        contractCache: { dir: 'cache' },
        audit: {
          signingKeyFile: 'keys/audit.pem',
          sinks: [
            { name: 'lines', type: 'file', path: 'audit/records.jsonl' },
            { name: 'siem', type: 'syslog', host: 'siem.example.com', caFile: tls(pki.rootCa), certFile: tls(pki.client.cert), keyFile: tls(pki.client.key) },
          ],
        },
        alerts: { sinks: { ops: { type: 'webhook', url: 'https://alerts.example.com/hook', secret: '${env:ALERT_SECRET}', caFile: tls(pki.rootCa) } } },
        tracing: { otlp: { endpoint: 'https://collector.example.com/v1/traces', caFile: tls(pki.rootCa) } },
        vault: { kek: { source: 'file', file: 'keys/kek' }, previousKeks: [{ source: 'file', file: 'keys/old-kek' }] },
        credentials: { caFiles: [tls(pki.rootCa)] },
        upstreams: { u: { targets: ['https://10.0.0.5'], tls: { caFiles: [tls(pki.rootCa)], certFile: tls(pki.client.cert), keyFile: tls(pki.client.key) } } },
        policies: { validate: { enabled: false, ...validate } },
        routes: [{ name: 'r', methods: ['GET'], path: '/r', upstream: 'u', policies: { validate: { ...validate, operationId: 'listPayments' } } }],
        contractRoutes: [{ contract: 'payments.yaml', upstream: 'u', pathPrefix: '/c', namePrefix: 'c-', policies: { validate: { unknownQueryParameters: 'reject' } } }],
      }),
    );
    const loaded = await loadConfigFile(file, { ALERT_SECRET: `whsec_${Buffer.alloc(32, 1).toString('base64')}` });
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.issues.map(formatIssue).join('\n'));
    const config = loaded.config;
    const at = (relative: string) => join(configDir, relative);
    assert.equal(config.alerts.sinks.ops!.caFile, at(tls(pki.rootCa)));
    assert.equal(config.tracing!.otlp.caFile, at(tls(pki.rootCa)));
    const listenerTls = config.listeners[0]!.tls!;
    assert.equal(listenerTls.certFile, at(tls(pki.serverCert)));
    assert.equal(listenerTls.keyFile, at(tls(pki.serverKey)));
    assert.deepEqual(listenerTls.clientCertificates.caFiles, [at(tls(pki.caBundle))]);
    assert.deepEqual(listenerTls.clientCertificates.crl!.files, [at(tls(pki.crlFile))]);
    const adminTls = config.admin.tls!;
    assert.deepEqual([adminTls.certFile, adminTls.keyFile], [at(tls(pki.serverCert)), at(tls(pki.serverKey))]);
    assert.deepEqual(adminTls.clientCertificates.caFiles, [at(tls(pki.caBundle))]);
    assert.deepEqual(adminTls.clientCertificates.crl!.files, [at(tls(pki.crlFile))]);
    assert.equal(config.store!.path, at('data/gateway.db'));
    assert.equal(config.geo.databasePath, at('country.mmdb'));
    assert.equal(config.pki!.caDir, at('ca'));
    assert.equal(config.contractCache.dir, at('cache'));
    assert.equal(config.audit.signingKeyFile, at('keys/audit.pem'));
    const [lines, siem] = config.audit.sinks as unknown as [{ path: string }, { caFile: string; certFile: string; keyFile: string }];
    assert.equal(lines.path, at('audit/records.jsonl'));
    assert.deepEqual([siem.caFile, siem.certFile, siem.keyFile], [at(tls(pki.rootCa)), at(tls(pki.client.cert)), at(tls(pki.client.key))]);
    assert.equal(config.vault!.kek.file, at('keys/kek'));
    assert.equal(config.vault!.previousKeks[0]!.file, at('keys/old-kek'));
    assert.deepEqual(config.credentials.caFiles, [at(tls(pki.rootCa))]);
    assert.ok(existsSync(at('cache/index.json')), 'the contract cache was written in the config folder');
    const upstreamTls = config.upstreams.u!.tls!;
    assert.deepEqual(upstreamTls.caFiles, [at(tls(pki.rootCa))]);
    assert.equal(upstreamTls.certFile, at(tls(pki.client.cert)));
    assert.equal(upstreamTls.keyFile, at(tls(pki.client.key)));
    assert.equal(config.policies.validate!.contract, at('payments.yaml'));
    assert.equal(config.routes[0]!.policies.validate!.contract, at('payments.yaml'));
    assert.equal(config.contractRoutes[0]!.contract, at('payments.yaml'));
    const generated = config.routes.filter((route) => route.name.startsWith('c-'));
    assert.ok(generated.length > 0 && generated.every((route) => route.policies.validate!.contract === at('payments.yaml')));
  });

  test("store.path's default and ':memory:' follow the rule too", async () => {
    const file = join(configDir, 'default-store.json');
    writeFileSync(file, JSON.stringify({ listeners: [{ name: 'p', port: 0 }], store: {}, upstreams: { u: { targets: ['http://10.0.0.5'] } }, routes: [{ name: 'r', methods: ['GET'], path: '/r', upstream: 'u' }] }));
    const loaded = await loadConfigFile(file, {});
    assert.ok(loaded.ok);
    assert.equal(loaded.config.store!.path, join(configDir, 'data/portcullis.db'));
    writeFileSync(file, JSON.stringify({ listeners: [{ name: 'p', port: 0 }], store: { path: ':memory:' }, upstreams: { u: { targets: ['http://10.0.0.5'] } }, routes: [{ name: 'r', methods: ['GET'], path: '/r', upstream: 'u' }] }));
    const memory = await loadConfigFile(file, {});
    assert.ok(memory.ok && memory.config.store!.path === ':memory:');
  });

  test('migrate run from another folder creates the SQLite store beside the config, not in the working directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-paths-store-'));
    const file = join(dir, 'portcullis.json');
    writeFileSync(file, JSON.stringify({ listeners: [{ name: 'p', port: 0 }], store: { path: 'state/store.db' }, upstreams: { u: { targets: ['http://10.0.0.5'] } }, routes: [{ name: 'r', methods: ['GET'], path: '/r', upstream: 'u' }] }));
    const result = await runCliAsync(['migrate', '--config', file]);
    assert.equal(result.status, 0, result.stderr);
    assert.ok(existsSync(join(dir, 'state/store.db')));
    assert.ok(!existsSync(join(process.cwd(), 'state/store.db')));
  });
});

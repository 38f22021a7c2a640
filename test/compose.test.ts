/**
 * deploy/compose.yaml, checked without docker (no image can be pulled on the project's machines):
 * valid against the Compose Specification's JSON schema (the copy the dclint package ships) with
 * Ajv, clean under the dclint linter, two gateway nodes built from the Dockerfile with the
 * container security settings, a load balancer config haproxy accepts that checks the probe port,
 * and a gateway config the gateway itself accepts with the environment compose gives it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { DCLinter } from 'dclint';
import { parse } from 'yaml';
import { validateConfig } from '../src/config/loader.js';
import { dockerStages } from './helpers/dockerfile.js';

const deploy = fileURLToPath(new URL('../../deploy/', import.meta.url));
const read = (path: string) => readFileSync(`${deploy}${path}`, 'utf8');
type Service = Record<string, unknown> & { environment?: Record<string, string>; build?: { context: string; dockerfile: string } };
// Compose applies YAML merge keys (`<<: *gateway`) before it reads the file.
const compose = () => parse(read('compose.yaml'), { merge: true }) as { services: Record<string, Service>; configs: Record<string, { file: string }> };
// Debian's haproxy (.ci/run installs it): under CI=true its absence fails the run; elsewhere the
// check is skipped with the reason.
const haproxyMissing = spawnSync('haproxy', ['-v']).error ? 'haproxy is not installed (apt-get install haproxy)' : false;
if (haproxyMissing && process.env.CI === 'true') throw new Error(`${haproxyMissing}: CI must check the load balancer's config`);
const gateways = () => Object.entries(compose().services).filter(([name]) => name.startsWith('gateway-'));

/** The environment compose hands a gateway, with the example .env's values interpolated. */
function gatewayEnvironment(service: Service): Record<string, string> {
  const example = Object.fromEntries(read('compose.env.example').split('\n').filter((line) => /^[A-Z_]+=/.test(line)).map((line) => line.split('=', 2) as [string, string]));
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([name, value]) => [name, value.replace(/\$\{([A-Z_]+)(:\?[^}]*)?\}/g, (_, variable: string) => example[variable] ?? assert.fail(`${variable} is not in compose.env.example`))]));
}

describe('deploy/compose.yaml', () => {
  test('is valid against the Compose Specification schema, which refuses a broken copy', () => {
    // The package exports no path to it: found beside its entry point (dist/ → ../schemas/).
    const entry = createRequire(import.meta.url).resolve('dclint');
    const schema = JSON.parse(readFileSync(join(dirname(entry), '../schemas/compose.schema.json'), 'utf8')) as Record<string, unknown>;
    // It names draft 07 by an https URL Ajv does not know under that name; same meta-schema.
    const validate = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile({ ...schema, $schema: 'http://json-schema.org/draft-07/schema#' });
    assert.ok(validate(compose()), JSON.stringify(validate.errors, null, 2));
    const broken = compose();
    (broken.services['gateway-1'] as Service).cap_drop = 'ALL';
    (broken.services.lb as Service).restart_policy = 'always';
    assert.equal(validate(broken), false);
    assert.deepEqual(validate.errors?.map((error) => error.instancePath).sort(), ['/services/gateway-1/cap_drop', '/services/lb']);
  });

  test('passes the dclint linter without errors or warnings', () => {
    const [result] = new DCLinter({ rules: {}, quiet: false, debug: false, exclude: [] }).lintFiles([`${deploy}compose.yaml`], false);
    assert.deepEqual(result?.messages.map((message: { line: number; message: string }) => `${message.line}: ${message.message}`), []);
  });

  test('runs two gateway nodes built from the Dockerfile, as its non-root user, read-only, without capabilities', () => {
    const nodes = gateways();
    assert.equal(nodes.length, 2);
    const imageUser = dockerStages().at(-1)!.steps.filter((step) => step.keyword === 'USER').at(-1)!.text;
    for (const [name, service] of nodes) {
      assert.deepEqual(service.build, { context: '..', dockerfile: 'Dockerfile' }, name);
      assert.equal(service.user, imageUser, `${name} runs as the image's user`);
      assert.equal(service.read_only, true, `${name}: read-only root filesystem`);
      assert.deepEqual(service.cap_drop, ['ALL'], name);
      assert.deepEqual(service.security_opt, ['no-new-privileges:true'], name);
      assert.deepEqual(service.tmpfs, ['/tmp'], name);
      assert.deepEqual(service.volumes, [`${name}-data:/var/lib/portcullis`], `${name} writes only to its data volume`);
    }
    for (const shared of ['postgres', 'redis', 'lb']) assert.ok(compose().services[shared], `${shared} is a service`);
  });

  test('gives the gateways a config the gateway accepts, and the load balancer checks their probe port', () => {
    const [, service] = gateways()[0]!;
    const loaded = validateConfig(parse(read(compose().configs.portcullis!.file)), gatewayEnvironment(service));
    assert.ok(loaded.ok, loaded.ok ? '' : JSON.stringify(loaded.issues));
    const config = loaded.config;
    assert.equal(config.store?.driver, 'postgres');
    assert.equal(config.probes.enabled, true);
    assert.equal(config.probes.host, '0.0.0.0');
    const haproxy = read(compose().configs.haproxy!.file);
    assert.match(haproxy, /option httpchk GET \/readyz/);
    assert.match(haproxy, new RegExp(`default-server check port ${config.probes.port}\\b`));
    for (const [name] of gateways()) assert.match(haproxy, new RegExp(`server ${name} ${name}:${config.listeners[0]!.port}\\b`));
  });

  test('gives HAProxy a config it accepts (haproxy -c)', { skip: haproxyMissing }, () => {
    const checked = spawnSync('haproxy', ['-c', '-f', `${deploy}${compose().configs.haproxy!.file}`], { encoding: 'utf8' });
    assert.equal(checked.status, 0, `haproxy -c: ${checked.stdout}${checked.stderr}`);
  });
});

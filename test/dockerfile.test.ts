/**
 * The Dockerfile, checked without docker (no base image can be pulled on the project's machines):
 * linted by dockerfile-utils (the validator behind the VS Code Docker extension) with every rule
 * at error, and held to the image's promises: multi-stage, production dependencies only in the
 * runtime stage, a non-root numeric user, a HEALTHCHECK on the probe port without curl, the
 * gateway started with the mounted config. Its RUN steps are run as a script by
 * test/docker-steps.ts (`npm run docker:steps`, from .ci/run: too slow for `npm test`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { validate, ValidationSeverity } from 'dockerfile-utils';
import { publishedSchema } from '../src/config/schema.js';
import { dockerStages, globalArgs, readDockerfile, type DockerStep } from './helpers/dockerfile.js';

const root = new URL('../../', import.meta.url);
const ALL_RULES_AT_ERROR = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

/** Stands in for the CLI behind the image's entrypoint: prints its core-dump limits (soft, hard), arguments and node flags. */
const PROBE = String.raw`const core = require('fs').readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max core file size'));
process.stdout.write(JSON.stringify({ core: core.split(/\s{2,}/).slice(1, 3), argv: process.argv.slice(2), execArgv: process.execArgv }));`;

const lint = (text: string) => validate(text, ALL_RULES_AT_ERROR).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
const only = (steps: readonly DockerStep[], keyword: string) => steps.filter((step) => step.keyword === keyword);
const probePortDefault = () => ((publishedSchema() as { properties: { probes: { properties: { port: { default: number } } } } }).properties.probes.properties.port.default);

describe('Dockerfile', () => {
  test('passes the linter with every rule at error (and the linter reports a broken one)', () => {
    assert.deepEqual(lint(readDockerfile()), []);
    assert.ok(lint(`${readDockerfile()}\nexpose http\nCMD ["again"]\n`).length >= 2, 'the linter is wired: a bad port and a second CMD are reported');
  });

  test('builds in one stage and runs from another that installs production dependencies only', () => {
    const stages = dockerStages();
    assert.deepEqual(stages.map((stage) => stage.name), ['build', 'runtime']);
    const [build, runtime] = stages as [(typeof stages)[0], (typeof stages)[0]];
    const image = globalArgs().NODE_IMAGE ?? '';
    assert.match(image, /^node:20[.-]/, 'the base image is the Node line package.json engines names, never :latest');
    for (const stage of stages) assert.equal(stage.image, '${NODE_IMAGE}');
    assert.ok(only(build.steps, 'RUN').some((step) => /^npm ci\b/.test(step.text)), 'build: npm ci');
    assert.ok(only(build.steps, 'RUN').some((step) => step.text === 'npm run build'), 'build: npm run build');
    const installs = only(runtime.steps, 'RUN').filter((step) => /\bnpm (ci|install|i)\b/.test(step.text));
    assert.equal(installs.length, 1);
    assert.match(installs[0]!.text, /^npm ci --omit=dev\b/, 'runtime: production dependencies only');
    const fromBuild = only(runtime.steps, 'COPY').filter((step) => step.flags.from !== undefined);
    assert.deepEqual(fromBuild.map((step) => [step.flags.from, step.args[0]]), [['build', '/src/dist/src'], ['build', '/src/dist/console']], 'only the compiled gateway and the built console come from the build stage (no tests, no bench)');
    assert.equal(only([...build.steps, ...runtime.steps], 'ADD').length, 0, 'COPY only: ADD would fetch URLs and unpack archives');
  });

  test('runs as a numeric non-root user that owns only its data folder', () => {
    const runtime = dockerStages().at(-1)!;
    const users = only(runtime.steps, 'USER');
    const user = users.at(-1)?.text ?? '';
    assert.match(user, /^[1-9][0-9]*:[1-9][0-9]*$/, 'numeric uid:gid, so Kubernetes runAsNonRoot can verify it');
    const [uid] = user.split(':');
    const chowns = only(runtime.steps, 'RUN').flatMap((step) => [...step.text.matchAll(/chown\s+(?:-R\s+)?(\S+)\s+(\S+)/g)]);
    assert.deepEqual(chowns.map((match) => [match[1], match[2]]), [[`${uid}:${uid}`, '/var/lib/portcullis']], 'the user owns /var/lib/portcullis and nothing else');
    assert.deepEqual(only(runtime.steps, 'VOLUME').map((step) => step.exec), [['/var/lib/portcullis']]);
    const lastUser = runtime.steps.lastIndexOf(users.at(-1)!);
    assert.equal(runtime.steps.slice(lastUser).filter((step) => step.keyword === 'RUN').length, 0, 'no RUN after USER');
  });

  test('checks its health on the probe port with node (no curl in a slim image) and starts the gateway with the mounted config', () => {
    const runtime = dockerStages().at(-1)!;
    const [healthcheck] = only(runtime.steps, 'HEALTHCHECK');
    assert.ok(healthcheck?.exec, 'exec-form HEALTHCHECK');
    assert.deepEqual(healthcheck.exec.slice(0, 2), ['node', '-e']);
    const port = probePortDefault();
    assert.match(healthcheck.exec[2]!, new RegExp(`fetch\\('http://127\\.0\\.0\\.1:${port}/healthz'\\)`), 'the probe listener at its default port');
    assert.ok(only(runtime.steps, 'EXPOSE').flatMap((step) => step.args).includes(String(port)), 'the probe port is exposed');
    assert.deepEqual(only(runtime.steps, 'ENTRYPOINT').map((step) => step.exec), [['/bin/sh', '-c', 'ulimit -c 0 && exec node "$@"', 'portcullis', '/app/dist/src/cli/main.js']]);
    assert.deepEqual(only(runtime.steps, 'CMD').map((step) => step.exec), [['start', '--config', '/etc/portcullis/portcullis.yaml']]);
    assert.equal(only(runtime.steps, 'ENV').find((step) => step.text.startsWith('NODE_ENV='))?.text, 'NODE_ENV=production');
  });

  test('starts node with core dumps off (soft and hard limit 0) and no flag that copies its memory out', () => {
    const runtime = dockerStages().at(-1)!;
    const [entrypoint] = only(runtime.steps, 'ENTRYPOINT');
    // The image's entrypoint, run here with a script in place of the CLI that reports its limits and arguments.
    const probe = join(mkdtempSync(join(tmpdir(), 'portcullis-entrypoint-')), 'probe.cjs');
    writeFileSync(probe, PROBE);
    const [program, ...args] = entrypoint!.exec!.map((arg) => (arg === '/app/dist/src/cli/main.js' ? probe : arg));
    const run = spawnSync(program!, [...args, 'start', '--config', '/etc/portcullis/portcullis.yaml'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { core: ['0', '0'], argv: ['start', '--config', '/etc/portcullis/portcullis.yaml'], execArgv: [] });
    const text = readFileSync(new URL('Dockerfile', root), 'utf8');
    assert.doesNotMatch(text.replace(/^#.*$/gm, ''), /heapsnapshot|--inspect|report-on|NODE_OPTIONS/, 'no heap-snapshot, inspector or report flag');
  });

  test('copies only files that exist and that .dockerignore lets through, and keeps secrets and build output out of the context', () => {
    const ignored = readFileSync(new URL('.dockerignore', root), 'utf8').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
    for (const needed of ['.git', 'node_modules', 'dist', '.env', '.env.*']) assert.ok(ignored.includes(needed), `.dockerignore lists ${needed}`);
    for (const stage of dockerStages()) {
      for (const step of only(stage.steps, 'COPY').filter((copy) => copy.flags.from === undefined)) {
        for (const source of step.args.slice(0, -1)) {
          assert.ok(existsSync(new URL(source, root)), `line ${step.line}: ${source} exists`);
          assert.ok(!ignored.includes(source), `line ${step.line}: ${source} is not in .dockerignore`);
        }
      }
    }
  });
});

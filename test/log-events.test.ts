/**
 * The log-event catalogue (src/core/log-events.ts) and docs/logging.md list the same events with
 * the same levels, both ways, like the error table and docs/errors.md; and no catalogued event is
 * a dead name that nothing logs. Logging a name that is not in the catalogue, or at another level,
 * is a compile error (EventLogger): the last test holds lines that must not compile, so the build
 * fails if the logger's type stops refusing them.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LOG_EVENTS, type LogEvent } from '../src/core/log-events.js';
import { createLogger } from '../src/observability/logger.js';
import { LogCapture } from './helpers/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const events = Object.keys(LOG_EVENTS) as LogEvent[];

/** `| \`name\` | level | meaning |` rows of docs/logging.md. */
function documented(): Map<string, string> {
  const docs = readFileSync(join(root, 'docs/logging.md'), 'utf8');
  return new Map([...docs.matchAll(/^\| `([a-z_.]+)` \| (\w+) \| .+ \|$/gm)].map((match) => [match[1]!, match[2]!]));
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

test('docs/logging.md and the catalogue list the same events', () => {
  const docs = documented();
  assert.ok(docs.size > 50, 'the event tables were found');
  assert.deepEqual([...docs.keys()].sort(), [...events].sort(), 'events in docs/logging.md vs LOG_EVENTS');
});

test('docs/logging.md gives every event the level the catalogue logs it at', () => {
  const docs = documented();
  const wrong = events.filter((event) => docs.get(event) !== LOG_EVENTS[event].level).map((event) => `${event}: docs ${docs.get(event)}, catalogue ${LOG_EVENTS[event].level}`);
  assert.deepEqual(wrong, []);
});

test('every catalogued event is logged somewhere in src/', () => {
  const code = sources(join(root, 'src')).filter((path) => !path.endsWith(join('core', 'log-events.ts'))).map((path) => readFileSync(path, 'utf8')).join('\n');
  // A name is used as a literal, or built from its family in a template (`certificate.${state}`).
  const unused = events.filter((event) => !code.includes(`'${event}'`) && !code.includes(`\`${event.slice(0, event.indexOf('.') + 1)}\${`));
  assert.deepEqual(unused, [], 'catalogued events nothing logs: remove them or log them');
});

test('the logger refuses, at compile time, an unknown event, an event at another level and a line without one', () => {
  const capture = new LogCapture();
  const logger = createLogger({ level: 'info', redactHeaders: [] }, capture);
  // @ts-expect-error: not in the catalogue
  logger.info({ event: 'gateway.startd' }, 'misspelt');
  // @ts-expect-error: gateway.started is an info event
  logger.warn({ event: 'gateway.started' }, 'wrong level');
  // @ts-expect-error: a line that is not an access line names an event
  logger.error({ err: new Error('boom') }, 'no event');
  logger.info({ event: 'gateway.started', routes: 1 }, 'gateway started');
  logger.info({ type: 'access', status: 200 }, 'request');
  logger.flush();
  assert.deepEqual(capture.records.map((record) => [record.level, record.event]), [['info', 'gateway.startd'], ['warn', 'gateway.started'], ['error', undefined], ['info', 'gateway.started'], ['info', undefined]]);
});

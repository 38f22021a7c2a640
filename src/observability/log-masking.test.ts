import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { baseConfig, httpRequest, LogCapture, startGateway, startUpstream, type TestGateway, type TestUpstream } from '../../test/helpers/index.js';
import { AccessLineWriter } from './access-line.js';
import { createLogger } from './logger.js';
import { LogMasker } from './log-masking.js';

const CARD = '4111111111111111';
const IBAN = 'NL91ABNA0417164300';

describe('masking of detected values in logs', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;

  before(async () => {
    upstream = await startUpstream();
    gw = await startGateway(baseConfig([upstream.url], { logging: { includeHeaders: true }, requestId: { trustIncoming: 'always' } }));
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('a card number in a logged query string and an IBAN in a header value are masked in the access line', async () => {
    const reply = await httpRequest(`${gw.url}/pay?card=${CARD}&ref=ok`, { headers: { 'x-note': `send to ${IBAN} today`} });
    assert.equal(reply.status, 200);
    const line = await gw.logs.accessLine(reply.headers['x-request-id']);
    assert.equal(line.path, '/pay?card=[REDACTED:card]&ref=ok');
    assert.equal((line.headers as Record<string, string>)['x-note'], 'send to [REDACTED:iban] today');
    assert.equal(typeof line.bytesOut, 'number', 'numbers stay numbers');
    assert.doesNotMatch(gw.logs.text(), new RegExp(`${CARD}|${IBAN}`));
  });

  test('a request id is an identifier: one whose digits pass Luhn stays whole in the access line', async () => {
    // The tail "b9b4-111111111119" holds a Luhn-valid 13-digit run (a CI run's generated id did).
    const requestId = '05b54869-7353-4f2b-b9b4-111111111119';
    const reply = await httpRequest(`${gw.url}/orders/${requestId}?card=${CARD}`, { headers: { 'x-request-id': requestId } });
    assert.equal(reply.headers['x-request-id'], requestId);
    const line = await gw.logs.accessLine(requestId);
    assert.equal(line.requestId, requestId);
    assert.equal(line.path, `/orders/${requestId}?card=[REDACTED:card]`);
  });

  test('the upstream still receives what the client sent', async () => {
    const reply = await httpRequest(`${gw.url}/pay?card=${CARD}`);
    assert.match(reply.json<{ url: string }>().url, new RegExp(CARD));
  });

  test('error-log lines are masked in every field, nested and in errors', () => {
    const capture = new LogCapture();
    const logger = createLogger({ level: 'info', redactHeaders: [] }, capture);
    logger.warn({ event: 'validate.response_drift', requestId: 'r1', errors: [{ message: `mail jane@example.com, token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2ln` }], err: new Error(`card ${CARD}`) }, 'drift');
    const text = capture.text();
    assert.doesNotMatch(text, /jane@example\.com|eyJzdWIi|4111111111111111/);
    assert.match(text, /\[REDACTED:email\].*\[REDACTED:jwt\]/);
    assert.match(text, /card \[REDACTED:card\]/);
  });

  test('maskDetected: [] turns masking off; a narrower list masks only its detectors', () => {
    const off = new LogCapture();
    createLogger({ level: 'info', redactHeaders: [], maskDetected: [] }, off).warn({ event: 'validate.response_drift', note: CARD }, 'x');
    assert.match(off.text(), new RegExp(CARD));
    const lines = new LogCapture();
    new AccessLineWriter(lines, [], new LogMasker(['iban'])).write({ type: 'access', path: `/p?c=${CARD}&i=${IBAN}` });
    assert.equal(lines.records[0]!.path, `/p?c=${CARD}&i=[REDACTED:iban]`);
  });

  test('an access line with nothing detected is written unchanged', () => {
    const lines = new LogCapture();
    const record = { type: 'access' as const, requestId: '9f1c2d3e-4b5a-6789-abcd-ef0123456789', path: '/accounts/12?page=2', bytesIn: 111222333, clientIp: '10.1.2.3' };
    new AccessLineWriter(lines, [], new LogMasker()).write(record);
    const written = lines.records[0]!;
    assert.equal(written.path, record.path);
    assert.equal(written.bytesIn, 111222333);
  });
});

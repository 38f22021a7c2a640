/**
 * Request smuggling (RFC 9112 §6.1, §6.3, §11.2): messages whose length two servers could read
 * differently, each followed by a second request hidden in the body. A sound gateway answers the
 * first with 400 and closes the connection, so the hidden request is never read, let alone
 * forwarded (an answer to it would prove it was). Written on a raw socket: no client library
 * would send these.
 */
import { OWASP } from '../../preflight/check.js';
import type { RawAnswer } from '../client.js';
import { defineProbes, skip, verdict, type ProbeResult, type ProbeRule } from '../probe.js';
import { routeWhere } from '../routes.js';

export const SMUGGLED_PATH = '/selftest-smuggled';

const EXPECTED = '400, the connection closed, no answer to the hidden request';

export const smugglingProbes = defineProbes(
  'smuggling',
  {
    clTe: { id: 'ST-SMUG-001', severity: 'critical', title: 'CL.TE: Content-Length and Transfer-Encoding: chunked, the chunked body ending early', expected: EXPECTED, why: OWASP.API8 },
    teCl: { id: 'ST-SMUG-002', severity: 'critical', title: 'TE.CL: Transfer-Encoding: chunked and a short Content-Length', expected: EXPECTED, why: OWASP.API8 },
    obfuscatedTe: { id: 'ST-SMUG-003', severity: 'critical', title: 'Obfuscated Transfer-Encoding with Content-Length (xchunked, space before the colon, tab, duplicate, list)', expected: EXPECTED, why: OWASP.API8 },
    duplicateCl: { id: 'ST-SMUG-004', severity: 'critical', title: 'Two Content-Length headers with different values', expected: EXPECTED, why: OWASP.API8 },
    http10Te: { id: 'ST-SMUG-005', severity: 'high', title: 'HTTP/1.0 with Transfer-Encoding: chunked', expected: EXPECTED, why: OWASP.API8 },
  },
  async ({ routes, client, requestTimeoutMs }, rules) => {
    const route = routes[0];
    const path = route?.path ?? '/';
    const host = route?.host ?? client.target.host;
    if (route === undefined) return Object.values(rules).map((rule) => skip(rule, 'no route (give --config or --admin-url)'));
    const hidden = `GET ${SMUGGLED_PATH} HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
    const post = (version: string, framing: string[], body: string) => `POST ${path} HTTP/${version}\r\nHost: ${host}\r\nContent-Type: application/json\r\n${framing.map((line) => `${line}\r\n`).join('')}\r\n${body}`;
    const chunkedHidden = `0\r\n\r\n${hidden}`;
    const cases: Array<[ProbeRule, string, string]> = [
      [rules.clTe, 'CL.TE', post('1.1', [`Content-Length: ${chunkedHidden.length}`, 'Transfer-Encoding: chunked'], chunkedHidden)],
      [rules.teCl, 'TE.CL', post('1.1', ['Transfer-Encoding: chunked', 'Content-Length: 3'], `${hidden.length.toString(16)}\r\n${hidden}\r\n0\r\n\r\n`)],
      ...(
        [
          ['Transfer-Encoding: xchunked', 'xchunked'],
          ['Transfer-Encoding : chunked', 'space before the colon'],
          ['Transfer-Encoding:\tchunked', 'tab'],
          ['Transfer-Encoding: chunked\r\nTransfer-Encoding: identity', 'duplicate'],
          ['Transfer-Encoding: chunked, identity', 'chunked not last'],
        ] as const
      ).map(([te, name]): [ProbeRule, string, string] => [rules.obfuscatedTe, `TE ${name}`, post('1.1', [`Content-Length: ${chunkedHidden.length}`, te], chunkedHidden)]),
      [rules.duplicateCl, 'duplicate Content-Length', post('1.1', ['Content-Length: 0', `Content-Length: ${hidden.length}`], hidden)],
      [rules.http10Te, 'HTTP/1.0 + TE', post('1.0', ['Transfer-Encoding: chunked', 'Connection: keep-alive'], chunkedHidden)],
    ];
    const results: ProbeResult[] = [];
    for (const [rule, name, bytes] of cases) {
      const answer = await client.raw(bytes, requestTimeoutMs);
      results.push(verdict(rule, answer.statuses.length === 1 && answer.statuses[0] === 400 && answer.closed, describeRaw(answer), `${routeWhere(route, path, 'POST')}: ${name}`));
    }
    return results;
  },
);

function describeRaw(answer: RawAnswer): string {
  if (answer.statuses.length === 0) return answer.closed ? 'connection closed without an answer' : 'no answer, connection left open';
  return `${answer.statuses.length === 1 ? 'answer' : 'answers'} ${answer.statuses.join(', ')}, connection ${answer.closed ? 'closed' : 'left open'}`;
}

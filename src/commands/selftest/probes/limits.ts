/**
 * Resource limits, as the gateway applies them: a request head past the listener's limit is 431
 * (RFC 6585 §5), a body past the route's limit is 413 (RFC 9110 §15.5.14) whether it is announced
 * by Content-Length or streamed chunked, and a burst from one caller meets 429 with the RateLimit
 * headers (draft-ietf-httpapi-ratelimit-headers) before the probe's cap of requests.
 */
import { OWASP } from '../../preflight/check.js';
import { describeAnswer } from '../client.js';
import { defineProbes, skip, verdict, type ProbeResult } from '../probe.js';
import { routeHeaders, routeWhere } from '../routes.js';
import { BODY_METHODS, refused } from './auth.js';

/** Header bytes sent for ST-SIZE-001: four times Node's default limit (16 KiB). */
export const OVERSIZED_HEADER_BYTES = 64 * 1024;
/** Body bytes announced for ST-SIZE-002, past preflight's sane maximum (10 MiB). */
export const ANNOUNCED_BODY_BYTES = 64 * 1024 * 1024;
/** Body bytes streamed for ST-SIZE-003 before giving up: 10 MiB and one chunk more. */
export const STREAMED_BODY_BYTES = 10 * 1024 * 1024 + 64 * 1024;
/** Requests ST-RATE-001 sends at most before it concludes there is no limit. */
export const RATE_PROBE_MAX_REQUESTS = 60;

export const limitProbes = defineProbes(
  'limits',
  {
    header: { id: 'ST-SIZE-001', severity: 'medium', title: `A request with ${OVERSIZED_HEADER_BYTES / 1024} KiB of headers`, expected: '431', why: OWASP.API4 },
    announcedBody: { id: 'ST-SIZE-002', severity: 'high', title: `A body announced as ${ANNOUNCED_BODY_BYTES / 1024 / 1024} MiB by Content-Length`, expected: '413 before the body is read (or 401 before it is read, where authentication comes first)', why: OWASP.API4 },
    streamedBody: { id: 'ST-SIZE-003', severity: 'high', title: 'A chunked body streamed past 10 MiB', expected: '413 (or a refusal before the body is read)', why: OWASP.API4 },
    rate: { id: 'ST-RATE-001', severity: 'medium', title: `A burst of up to ${RATE_PROBE_MAX_REQUESTS} requests from one caller`, expected: '429 with RateLimit-Policy and RateLimit (or Retry-After) before the cap', why: OWASP.API4 },
  },
  async ({ routes, client, credentials, requestTimeoutMs }, rules) => {
    const results: ProbeResult[] = [];
    const first = routes[0];
    if (first === undefined) return Object.values(rules).map((rule) => skip(rule, 'no route (give --config or --admin-url)'));
    const big = await client.send(first.method, first.path, { headers: routeHeaders(first, { 'x-selftest-padding': 'a'.repeat(OVERSIZED_HEADER_BYTES) }) });
    results.push(verdict(rules.header, big.status === 431, describeAnswer(big), routeWhere(first)));

    const bodyRoute = routes.find((route) => route.methods.some((method) => BODY_METHODS.has(method)));
    if (bodyRoute === undefined) {
      results.push(skip(rules.announcedBody, 'no route takes a request body'), skip(rules.streamedBody, 'no route takes a request body'));
    } else {
      const method = bodyRoute.methods.find((candidate) => BODY_METHODS.has(candidate))!;
      const where = routeWhere(bodyRoute, bodyRoute.path, method);
      const auth = credentials.apiKey !== undefined && bodyRoute.apiKey ? `Authorization: Bearer ${credentials.apiKey}\r\n` : '';
      const head = (framing: string) => `${method} ${bodyRoute.path} HTTP/1.1\r\nHost: ${bodyRoute.host ?? client.target.host}\r\nContent-Type: application/json\r\n${auth}${framing}\r\n`;
      const announced = await client.raw(`${head(`Content-Length: ${ANNOUNCED_BODY_BYTES}\r\n`)}{"selftest":"`, requestTimeoutMs);
      results.push(verdict(rules.announcedBody, announced.statuses[0] === 413 || (auth === '' && [401, 403].includes(announced.statuses[0] ?? 0)), announced.statuses.length > 0 ? `${announced.statuses.join(', ')}${announced.closed ? ', connection closed' : ''}` : 'no answer (the gateway waits for the body)', where));
      const chunk = `10000\r\n${'a'.repeat(0x10000)}\r\n`;
      const bytes = Buffer.from(`${head('Transfer-Encoding: chunked\r\n')}${chunk.repeat(Math.ceil(STREAMED_BODY_BYTES / 0x10000))}0\r\n\r\n`, 'latin1');
      const streamed = await client.raw(bytes, requestTimeoutMs);
      const status = streamed.statuses[0];
      // A server that refuses mid-body and closes may reset the connection under its own 413
      // (RFC 9112 §9.6): a connection cut before the body was all written is a refusal too.
      const cut = status === undefined && streamed.closed && streamed.written < bytes.length;
      const observed = status !== undefined ? String(status) : cut ? `connection closed after ${streamed.written} of ${bytes.length} bytes, without an answer` : 'no answer';
      results.push(verdict(rules.streamedBody, status === 413 || cut || (auth === '' && (status === 401 || status === 403)), observed, where));
    }
    results.push(await rateProbe());
    return results;

    async function rateProbe(): Promise<ProbeResult> {
      const route = routes.find((candidate) => candidate.authentication !== 'required' && candidate.methods.includes('GET')) ?? routes.find((candidate) => candidate.apiKey && candidate.methods.includes('GET'));
      if (route === undefined) return skip(rules.rate, 'no GET route without authentication or with an API key');
      const needsKey = route.authentication === 'required';
      if (needsKey && credentials.apiKey === undefined) return skip(rules.rate, credentials.missing ?? 'needs an API key (--admin-url)');
      const headers = routeHeaders(route, needsKey ? { authorization: `Bearer ${credentials.apiKey!}` } : {});
      for (let sent = 1; sent <= RATE_PROBE_MAX_REQUESTS; sent++) {
        const answer = await client.send('GET', route.path, { headers });
        if (answer.status === 429) {
          const told = (answer.headers['ratelimit'] !== undefined && answer.headers['ratelimit-policy'] !== undefined) || answer.headers['retry-after'] !== undefined;
          return verdict(rules.rate, told, `${describeAnswer(answer)} after ${sent} requests${told ? '' : ', without RateLimit or Retry-After headers'}`, routeWhere(route, route.path, 'GET'));
        }
        if (refused(answer)) return skip(rules.rate, `the route refused the caller (${describeAnswer(answer)})`, routeWhere(route, route.path, 'GET'));
      }
      return verdict(rules.rate, false, `no 429 after ${RATE_PROBE_MAX_REQUESTS} requests`, routeWhere(route, route.path, 'GET'));
    }
  },
);

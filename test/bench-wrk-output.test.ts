/**
 * The benchmark's reading of wrk's output (bench/wrk-output.ts), on text captured from Debian's
 * wrk 4.1: a clean run, one with error statuses, one with socket errors. No load is generated here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { durationMs, failureOf, parseWrkOutput } from '../bench/wrk-output.js';

const CLEAN = `Running 1s test @ http://127.0.0.1:18081/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.94ms    6.13ms  58.39ms   91.69%
    Req/Sec     8.30k     5.42k   17.01k    70.00%
  Latency Distribution
     50%  492.00us
     75%    2.93ms
     90%    7.70ms
     99%   33.95ms
  8291 requests in 1.02s, 0.98MB read
Requests/sec:   8128.43
Transfer/sec:      0.96MB
`;

const NON_2XX = `Running 1s test @ http://127.0.0.1:18081/bad
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.75ms    4.05ms  28.25ms   90.72%
    Req/Sec    23.35k    12.63k   37.85k    50.00%
  Latency Distribution
     50%  208.00us
     75%  748.00us
     90%    5.29ms
     99%   20.16ms
  23206 requests in 1.00s, 3.16MB read
  Non-2xx or 3xx responses: 23206
Requests/sec:  23096.84
Transfer/sec:      3.15MB`;

const SOCKET_ERRORS = `Running 1s test @ http://127.0.0.1:18082/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.75ms    5.76ms  55.82ms   93.40%
    Req/Sec     6.76k     4.22k   15.16k    70.00%
  Latency Distribution
     50%  756.00us
     75%    2.83ms
     90%    6.24ms
     99%   34.87ms
  6770 requests in 1.01s, 819.80KB read
  Socket errors: connect 0, read 138, write 0, timeout 0
Requests/sec:   6698.92
Transfer/sec:    811.20KB
`;

describe('wrk output', () => {
  it('reads requests/s, request count and every latency percentile in milliseconds', () => {
    const result = parseWrkOutput(CLEAN);
    assert.equal(result.requestsPerSecond, 8128.43);
    assert.equal(result.requests, 8291);
    assert.deepEqual(result.latencyMs, { avg: 2.94, max: 58.39, p50: 0.492, p75: 2.93, p90: 7.7, p99: 33.95 });
    assert.equal(result.non2xx, 0);
    assert.deepEqual(result.socketErrors, { connect: 0, read: 0, write: 0, timeout: 0 });
    assert.equal(failureOf(result), undefined);
  });

  it('fails a run with responses outside 2xx and 3xx', () => {
    const result = parseWrkOutput(NON_2XX);
    assert.equal(result.non2xx, 23206);
    assert.equal(failureOf(result), '23206 non-2xx responses');
  });

  it('fails a run with socket errors, naming their kind', () => {
    const result = parseWrkOutput(SOCKET_ERRORS);
    assert.deepEqual(result.socketErrors, { connect: 0, read: 138, write: 0, timeout: 0 });
    assert.equal(failureOf(result), '138 socket read errors');
  });

  it('converts seconds and microseconds, and refuses text that is not a duration', () => {
    assert.equal(durationMs('1.50s'), 1500);
    assert.equal(durationMs('250.00us'), 0.25);
    assert.throws(() => durationMs('12 parsecs'), /not a wrk duration/);
  });

  it('refuses output without Requests/sec (wrk failed before measuring)', () => {
    assert.throws(() => parseWrkOutput('unable to connect to 127.0.0.1:18089 Connection refused'), /no latency line|no Requests/);
  });
});

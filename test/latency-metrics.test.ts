/**
 * Latency histograms on /metrics: request duration per route, method and status class, upstream
 * duration per route, in seconds, labelled with the route's configured name and never the path.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LATENCY_BUCKETS_SECONDS } from '../src/observability/metrics.js';
import { baseConfig, eventually, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';

/** The upstream holds /slow answers this long: a lower bound the histogram must reflect. */
const SLOW_MS = 300;

describe('latency histograms on /metrics', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  const metrics = async () => (await httpRequest(`${gw.gateway.adminUrl}/metrics`)).text;
  /** The value of one series, or undefined when /metrics has no such line. */
  const sample = (text: string, name: string, labels: string): number | undefined => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{${labels}} `));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };

  before(async () => {
    upstream = await startUpstream(async (req, res, recorded) => {
      if (req.url?.startsWith('/slow')) await new Promise((resolve) => setTimeout(resolve, SLOW_MS));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: recorded.url }));
    });
    gw = await startGateway(
      baseConfig([upstream.url], {
        routes: [
          { name: 'accounts', methods: ['GET', 'POST'], path: '/v1/accounts/:id', upstream: 'backend' },
          { name: 'slow', methods: ['GET'], path: '/slow', upstream: 'backend' },
        ],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('counts each request in _bucket, _sum and _count series of its route, method and status class, and each upstream call per route', async () => {
    for (const id of ['a1', 'a2', 'a3']) assert.equal((await httpRequest(`${gw.url}/v1/accounts/${id}`)).status, 200);
    assert.equal((await httpRequest(`${gw.url}/v1/accounts/a4`, { method: 'POST', body: '{}' })).status, 200);
    assert.equal((await httpRequest(`${gw.url}/v1/nowhere`)).status, 404);
    const get = 'route="accounts",method="GET",status="2xx"';
    // A request is counted when its response is over, which may be just after the client has it.
    await eventually(async () => sample(await metrics(), 'portcullis_request_duration_seconds_count', get) === 3, 'three GETs counted');
    const text = await metrics();

    assert.equal(sample(text, 'portcullis_request_duration_seconds_count', 'route="accounts",method="POST",status="2xx"'), 1);
    assert.equal(sample(text, 'portcullis_request_duration_seconds_count', 'route="(none)",method="GET",status="4xx"'), 1);
    // Every bound is there, cumulative counts never fall, and +Inf is the count.
    const buckets = LATENCY_BUCKETS_SECONDS.map((bound) => sample(text, 'portcullis_request_duration_seconds_bucket', `le="${bound}",${get}`));
    assert.ok(buckets.every((count) => count !== undefined), `every bucket bound of ${LATENCY_BUCKETS_SECONDS.join(', ')} is exported`);
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]! >= buckets[i - 1]!, 'buckets are cumulative');
    assert.equal(sample(text, 'portcullis_request_duration_seconds_bucket', `le="+Inf",${get}`), 3);
    const sum = sample(text, 'portcullis_request_duration_seconds_sum', get)!;
    assert.ok(sum > 0 && sum < 30, `sum ${sum} is in seconds`);

    // Upstream calls: the four proxied requests of the route, none for the 404.
    assert.equal(sample(text, 'portcullis_upstream_duration_seconds_count', 'route="accounts"'), 4);
    assert.equal(sample(text, 'portcullis_upstream_duration_seconds_bucket', 'le="+Inf",route="accounts"'), 4);
    assert.equal(sample(text, 'portcullis_upstream_duration_seconds_count', 'route="(none)"'), undefined);
    // The route label is the configured name: no path, no path parameter, ever.
    assert.ok(!/portcullis_(request|upstream)_duration_seconds[^\n]*(a1|\/v1\/)/.test(text), 'no raw path in a label');
  });

  test('places a slow upstream answer by its duration in seconds', async () => {
    assert.equal((await httpRequest(`${gw.url}/slow`)).status, 200);
    const labels = 'route="slow",method="GET",status="2xx"';
    await eventually(async () => sample(await metrics(), 'portcullis_request_duration_seconds_count', labels) === 1, 'the slow request counted');
    const text = await metrics();
    const slowest = SLOW_MS / 1000;
    // Below the upstream's own delay nothing can be; 10 s is far above it even on a loaded machine.
    assert.equal(sample(text, 'portcullis_request_duration_seconds_bucket', `le="0.25",${labels}`), 0);
    assert.equal(sample(text, 'portcullis_request_duration_seconds_bucket', `le="10",${labels}`), 1);
    assert.equal(sample(text, 'portcullis_upstream_duration_seconds_bucket', 'le="0.25",route="slow"'), 0);
    assert.equal(sample(text, 'portcullis_upstream_duration_seconds_bucket', 'le="10",route="slow"'), 1);
    const upstreamSum = sample(text, 'portcullis_upstream_duration_seconds_sum', 'route="slow"')!;
    const requestSum = sample(text, 'portcullis_request_duration_seconds_sum', labels)!;
    assert.ok(upstreamSum >= slowest && upstreamSum < 10, `upstream sum ${upstreamSum} s`);
    assert.ok(requestSum >= upstreamSum, 'the request takes at least as long as its upstream call');
  });
});

/**
 * Caps the request body. A declared Content-Length over the cap is refused before anything is
 * sent upstream; a chunked body is counted while it streams and cut off at the cap, so a large
 * upload is refused without ever being held in memory.
 */
import { Type } from '@sinclair/typebox';
import { GatewayError } from '../../core/errors.js';
import { definePolicy, policyConfig } from '../../core/policy.js';

const configSchema = policyConfig(
  {
    maxBytes: Type.Integer({ minimum: 0, default: 10 * 1024 * 1024, description: 'Largest request body in bytes (default 10 MiB).' }),
  },
  'Refuses request bodies larger than maxBytes with 413 request.body_too_large.',
);

export const requestSizeLimit = definePolicy({
  name: 'request-size-limit',
  description: 'Caps the request body size, by Content-Length and while streaming.',
  enabledByDefault: true,
  configSchema,
  create(config) {
    const { maxBytes } = config;
    return {
      receive: function limitRequestSize(ctx) {
        const declared = ctx.req.headers['content-length'];
        if (declared !== undefined && Number(declared) > maxBytes) {
          throw new GatewayError('request.body_too_large', { detail: `The request body exceeds ${maxBytes} bytes.` });
        }
        ctx.maxBodyBytes = Math.min(ctx.maxBodyBytes, maxBytes);
      },
    };
  },
});

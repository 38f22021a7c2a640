/**
 * What the route files share: id and scope schemas, the timestamp format. Writes are logged by the
 * store's unit of work (`store.changed`, with the principal as actor), not here.
 */
import { Type } from '@sinclair/typebox';
import { CONSUMER_ID_PATTERN } from '../../core/consumer-id.js';
import { GatewayError } from '../../core/errors.js';

/** An existing consumer's id: never anything a consumer id cannot hold (core/consumer-id.ts). */
export const ConsumerId = Type.String({ pattern: CONSUMER_ID_PATTERN, maxLength: 64 });
export const Scope = Type.String({ pattern: '^[!#-\\[\\]-~]+$', maxLength: 128 });
/** Every admin API timestamp: RFC 3339 UTC with milliseconds (views.ts). */
export const Timestamp = Type.String({ format: 'date-time', examples: ['2026-11-30T08:15:00.000Z'] });
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
export const Empty = Type.Object({}, { additionalProperties: false });
export const GracePeriod = Type.Integer({ minimum: 0, maximum: 30 * 86400, default: 86400, description: 'Seconds the old credential keeps working.' });

export function requireService<T>(service: T | undefined, what: string): T {
  if (service === undefined) throw new GatewayError('admin.not_found', { detail: `${what} is off in this configuration.` });
  return service;
}

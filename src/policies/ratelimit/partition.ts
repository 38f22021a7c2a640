/**
 * What a limit's budget is kept per. Several kinds combine into one partition (per consumer per
 * route). A request without the identity a kind asks for (an anonymous request under a
 * per-consumer limit) is counted per client IP instead, so it can never escape the limit.
 */
import { createHash } from 'node:crypto';
import type { RequestContext } from '../../core/context.js';
import { clientBucket } from '../../net/ip-bucket.js';

export const PARTITION_KINDS = ['consumer', 'api_key', 'client', 'ip', 'route', 'header'] as const;
export type PartitionKind = (typeof PARTITION_KINDS)[number];


function partValue(kind: PartitionKind, header: string | undefined, ctx: RequestContext): string | undefined {
  switch (kind) {
    case 'consumer':
      return ctx.principal?.consumerId;
    case 'api_key':
      return ctx.principal?.credentialId;
    case 'client':
      return ctx.principal?.clientId;
    case 'ip':
      // IPv6 per /64: one host usually holds a whole /64.
      return clientBucket(ctx.clientIp);
    case 'route':
      return ctx.route.name;
    case 'header': {
      const value = ctx.req.headers[header!];
      const text = Array.isArray(value) ? value.join(',') : value;
      if (text === undefined || text === '') return undefined;
      // Always hashed: a client must not make our keys (or Redis's) long, and a header that holds
      // a credential must never be stored in clear.
      return createHash('sha256').update(text).digest('base64url');
    }
  }
}

/** A request's partition key under `kinds`, e.g. `consumer=con_1|route=payments`. */
export function partitionKey(kinds: readonly PartitionKind[], header: string | undefined, ctx: RequestContext): string {
  let key = '';
  for (let i = 0; i < kinds.length; i++) {
    const kind = kinds[i]!;
    const value = partValue(kind, header, ctx);
    const part = value === undefined ? `${kind}~ip=${encodeURIComponent(clientBucket(ctx.clientIp))}` : `${kind}=${encodeURIComponent(value)}`;
    key = i === 0 ? part : `${key}|${part}`;
  }
  return key;
}

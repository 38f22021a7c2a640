/**
 * Logs and counts how the config's OpenAPI contracts were made ready (openapi/contract-prepare.ts):
 * at start and after each reload from the file. A refused contract cache is a warning and a count
 * (`portcullis_contract_cache_refused_total`): it is a fallback (the contract is compiled whole
 * again), and a cache someone else can write to is worth an operator's look.
 */
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { takePreparations } from '../openapi/contract-prepare.js';

export function logContractPreparations(logger: Logger, metrics: GatewayMetrics): void {
  for (const preparation of takePreparations()) {
    const { contract, source, ms, cacheRefused, reason } = preparation;
    metrics.contractPreparations.inc({ source });
    if (cacheRefused) {
      metrics.contractCacheRefused.inc({ reason: cacheRefused.reason });
      logger.warn({ event: 'contract.cache_refused', contract, file: cacheRefused.file, reason: cacheRefused.reason }, 'the contract cache was not used: the contract was compiled whole');
    }
    if (source === 'fallback') logger.warn({ event: 'contract.compile_fallback', contract, reason }, 'the contract could not be compiled in a worker thread: compiled on the serving thread');
    else logger.info({ event: 'contract.prepared', contract, source, ms }, 'contract ready');
  }
}

/**
 * The public keys of a JWT issuer as the gateway's config names them (static `keys`, `jwksUrl`,
 * or `discoveryUrl` → `jwks_uri`), for the key-confusion probe: the attack needs what any
 * attacker has, the published public key. A fetch is bounded by the request timeout; a key set
 * that cannot be read leaves the probe skipped with the reason.
 */
import type { JWK } from 'jose';

export interface JwtPolicyView {
  readonly issuers: ReadonlyArray<{ readonly issuer: string; readonly keys?: JWK[]; readonly jwksUrl?: string; readonly discoveryUrl?: string; readonly algorithms: string[] }>;
  readonly audiences: readonly string[];
  readonly typ?: string;
  readonly maxTokenBytes?: number;
}

export async function issuerPublicKeys(issuer: JwtPolicyView['issuers'][number], timeoutMs: number): Promise<JWK[]> {
  if (issuer.keys !== undefined) return issuer.keys;
  const fetchJson = async (url: string) => (await (await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })).json()) as Record<string, unknown>;
  try {
    let jwksUrl = issuer.jwksUrl;
    if (jwksUrl === undefined && issuer.discoveryUrl !== undefined) jwksUrl = String((await fetchJson(issuer.discoveryUrl)).jwks_uri);
    if (jwksUrl === undefined) return [];
    const keys = (await fetchJson(jwksUrl)).keys;
    return Array.isArray(keys) ? (keys as JWK[]) : [];
  } catch {
    return [];
  }
}

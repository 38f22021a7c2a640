/**
 * Starts the built-in authorization server: its repositories, the in-memory state (a projection
 * of the node's change follower), the signing keys (a first key is made if there is none; the schedule rotates
 * it), the client service for the admin API, and the endpoints for the client listeners.
 */
import type { Clock } from '../core/clock.js';
import type { AuthFailureTracker, ConsumerDirectory } from '../core/services.js';
import type { GatewayConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { OAuthClientRepository, SigningKeyRepository, TokenRevocationRepository } from '../store/oauth-repositories.js';
import type { ChangeFollower } from '../store/change-follower.js';
import type { Store } from '../store/store.js';
import { AuthorizationServer } from './authorization-server.js';
import { ClientService } from './client-service.js';
import { KeyEncryption } from './key-encryption.js';
import { resealSigningKeys } from './reseal-signing-keys.js';
import { SecretKeySealer, VaultKeySealer, type SigningKeySealer, type SigningKeyVault } from './signing-key-sealer.js';
import { OAuthState } from './oauth-state.js';
import { SigningKeyService } from './signing-key-service.js';

export interface OpenedOAuth {
  readonly state: OAuthState;
  readonly clients: ClientService;
  readonly signingKeys: SigningKeyService;
  readonly server: AuthorizationServer;
  stop(): Promise<void>;
}

export async function openOAuth(
  config: NonNullable<GatewayConfig['oauth']>,
  /** `schedule: false`: rotate only if due now, run no rotation schedule (a cluster worker that is not the lead). */
  deps: { schedule?: boolean; store: Store; vault?: SigningKeyVault; consumers: ConsumerDirectory; follower: ChangeFollower; pepper: string; failures: AuthFailureTracker; clock: Clock; logger: Logger; count?: (endpoint: string, outcome: string) => void },
): Promise<OpenedOAuth> {
  const { store, clock, logger } = deps;
  const db = store.db;
  // With a vault the private keys are sealed by it (and keys from before it moved into it, below);
  // oauth.signingKeySecret, while configured, still opens those not moved yet.
  const legacy = config.signingKeySecret ? new SecretKeySealer(new KeyEncryption(config.signingKeySecret.reveal())) : undefined;
  const sealer: SigningKeySealer = deps.vault ? new VaultKeySealer(deps.vault, legacy) : legacy!;
  const clientRepository = new OAuthClientRepository(db);
  const signingKeyRepository = new SigningKeyRepository(db);
  if (sealer instanceof VaultKeySealer && deps.schedule !== false) await resealSigningKeys({ store, repository: signingKeyRepository, sealer, logger });
  const revocations = new TokenRevocationRepository(db, clock);
  const state = new OAuthState(
    { consumers: deps.consumers, clients: clientRepository, signingKeys: signingKeyRepository, revocations },
    { catchUp: () => deps.follower.catchUp(), sealer, logger, clock },
  );
  // Loaded now if the follower runs already, else with the other projections when it starts.
  await deps.follower.add(state);
  const signingKeys = new SigningKeyService(
    store,
    signingKeyRepository,
    state,
    sealer,
    { algorithm: config.signingAlgorithm, rotationDays: config.signingKeyRotationDays, tokenTtlSeconds: config.accessTokenTtlSeconds },
    clock,
    logger,
  );
  await signingKeys.rotateIfDue();
  if (deps.schedule !== false) signingKeys.start();
  const server = new AuthorizationServer(
    { issuer: config.issuer, pathPrefix: config.pathPrefix, audience: config.audience, accessTokenTtlSeconds: config.accessTokenTtlSeconds, assertionMaxAgeSeconds: config.assertionMaxAgeSeconds, signingAlgorithm: config.signingAlgorithm },
    state,
    revocations,
    store,
    deps.pepper,
    deps.failures,
    clock,
    logger,
    deps.count,
  );
  logger.info({ event: 'oauth.started', issuer: config.issuer, signingKey: state.signingKey()?.kid }, 'built-in authorization server ready');
  return {
    state,
    clients: new ClientService(store, clientRepository, deps.pepper, clock, () => state.refresh()),
    signingKeys,
    server,
    async stop() {
      signingKeys.stop();
    },
  };
}

/**
 * On a gateway that holds the private CA's key (`pki.issuing`, docs/tls.md), the CA's CRL is
 * signed again before it lapses: past its nextUpdate, listeners that check it treat every partner
 * certificate's revocation as unknown and, fail-closed by default, refuse them all. Checked at
 * start and hourly on the worker that runs the schedules; renewed once half of the CRL's validity
 * has passed (a 7-day CRL: after 3.5 days), so a run that fails has days to be retried and alerted
 * (`crl.renew_failed`, the background_task_failed rule) before anything is refused. Several nodes
 * renewing at once is harmless: the store ledger numbers each CRL above the last (RFC 5280 §5.2.3).
 */
import { SYSTEM_ACTOR } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import type { GatewayConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { readCaState } from '../pki/ca-status.js';
import { PrivateCa } from '../pki/private-ca.js';
import { PkiRepository } from '../store/pki-repository.js';
import type { Store } from '../store/store.js';

const CHECK_INTERVAL_MS = 3_600_000;

export interface CrlRenewalDeps {
  readonly clock: Clock;
  readonly logger: () => Logger;
  /** The config in force (a reload may turn pki.issuing on or off). */
  readonly config: () => GatewayConfig;
  readonly store: Store | undefined;
  /** Makes every listener load its CRLs again (admin-certificates.ts). */
  readonly crlChanged: () => Promise<void>;
}

/** What a check did: `off` without pki.issuing or a store, `fresh` when the CRL has more than half its validity left. */
export type CrlRenewalOutcome = 'off' | 'fresh' | 'renewed' | 'failed';

export class CrlRenewal {
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: CrlRenewalDeps) {}

  start(): void {
    void this.check();
    this.#timer = setInterval(() => void this.check(), CHECK_INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Renews the CRL when half its validity has passed (or it is missing); never throws. */
  async check(): Promise<CrlRenewalOutcome> {
    const pki = this.deps.config().pki;
    const store = this.deps.store;
    if (!pki?.issuing || !store) return 'off';
    const now = this.deps.clock.now();
    try {
      const { crl } = await readCaState(pki.caDir, new PkiRepository(store.db), now);
      if (crl?.nextUpdate) {
        const thisUpdate = Date.parse(crl.thisUpdate);
        if (now < thisUpdate + (Date.parse(crl.nextUpdate) - thisUpdate) / 2) return 'fresh';
      }
      const ca = await PrivateCa.openWithKeySecret(pki.caDir, pki.issuing.caKey.reveal(), { store, actor: SYSTEM_ACTOR });
      const renewed = await ca.writeCrl(now);
      await this.deps.crlChanged();
      this.deps.logger().info({ event: 'crl.renewed', caDir: pki.caDir, revoked: renewed.entries.length, nextUpdate: renewed.nextUpdate?.toISOString() }, 'the private CA signed a fresh CRL');
      return 'renewed';
    } catch (error) {
      // The message names the folder or the variable, never the key or its passphrase.
      this.deps.logger().error({ event: 'crl.renew_failed', caDir: pki.caDir, reason: (error as Error).message }, 'the private CA could not sign a fresh CRL: retried hourly; run `portcullis ca crl` before it lapses');
      return 'failed';
    }
  }
}

/**
 * Resolves the secret references an upstream credential's settings hold, each time they are
 * needed (so a secret changed in the vault or the environment applies without a reload):
 * `${env:NAME}` from the process environment, `${secret:NAME}` from the vault once one is open.
 * A reference that cannot be resolved makes the credential unavailable (503), never a literal.
 */
import type { SecretValue } from '../config/secret.js';

/** Reads a named secret from the vault (its current promoted version). */
export type VaultRead = (name: string) => Promise<SecretValue>;

const REFERENCE = /^\$\{(env|secret):([A-Za-z_][A-Za-z0-9_.-]*)\}$/;

export class UnresolvedSecretError extends Error {
  constructor(readonly reference: string, why: string) {
    super(`secret reference ${reference} cannot be resolved: ${why}`);
    this.name = 'UnresolvedSecretError';
  }
}

export class SecretResolver {
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly vault: VaultRead | undefined,
  ) {}

  /** The value behind `reference`, for the one call that sends it; never kept or logged. */
  async reveal(reference: string): Promise<string> {
    const match = REFERENCE.exec(reference);
    if (!match) throw new UnresolvedSecretError(reference, 'not a reference');
    const [, source, name] = match as unknown as [string, 'env' | 'secret', string];
    if (source === 'env') {
      const value = this.env[name];
      if (value === undefined || value === '') throw new UnresolvedSecretError(reference, 'the environment variable is not set');
      return value;
    }
    if (!this.vault) throw new UnresolvedSecretError(reference, 'no vault is open');
    try {
      return (await this.vault(name)).reveal();
    } catch (error) {
      throw new UnresolvedSecretError(reference, error instanceof Error ? error.message : 'vault read failed');
    }
  }
}

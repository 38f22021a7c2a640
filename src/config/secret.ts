/**
 * Secret references. A field marked `secret` in the schema accepts only a reference: `${env:NAME}`
 * (an environment variable, read once at load) or `${secret:NAME}` (a secret in the vault: its
 * promoted version, read live; bound to the node's vault by the composition root, see
 * core/secret-value.ts); a literal is refused at load. The resolved value is a SecretValue: it
 * prints as "[secret]" everywhere, and only `reveal()` gives the value to the code that must send it.
 */
import { SecretValue, VaultSecretReference } from '../core/secret-value.js';

export { SecretValue, VaultSecretReference };

/** What a secret field may hold: `${env:NAME}` or `${secret:NAME}` (vault names: vault/secret-name.ts). */
export const SECRET_REFERENCE = /^\$\{(?:env:[A-Za-z_][A-Za-z0-9_]*|secret:[A-Za-z][A-Za-z0-9_-]{0,63})\}$/;

export const REFERENCE_HINT = 'is a secret: give a reference such as ${env:NAME} or ${secret:NAME}, not a literal value';

export type SecretResolution = { ok: true; value: SecretValue } | { ok: false; message: string };

export function resolveSecretReference(reference: string, env: NodeJS.ProcessEnv): SecretResolution {
  if (!SECRET_REFERENCE.test(reference)) return { ok: false, message: REFERENCE_HINT };
  const [kind, name] = reference.slice(2, -1).split(/:(.*)/s) as [string, string];
  if (kind === 'secret') return { ok: true, value: new VaultSecretReference(name, reference) };
  const value = env[name];
  if (value === undefined || value === '') return { ok: false, message: `environment variable ${name} is not set` };
  return { ok: true, value: new SecretValue(value, reference) };
}

/** Every `${secret:…}` reference in a loaded config (to bind to the vault, or to list). */
export function vaultReferences(config: unknown): VaultSecretReference[] {
  const found: VaultSecretReference[] = [];
  const seen = new Set<object>();
  const walk = (value: unknown): void => {
    if (value instanceof VaultSecretReference) found.push(value);
    else if (value instanceof SecretValue || value === null || typeof value !== 'object' || seen.has(value)) return;
    else {
      seen.add(value);
      for (const child of Array.isArray(value) ? value : Object.values(value)) walk(child);
    }
  };
  walk(config);
  return found;
}

/**
 * Where the config names each vault secret: name → the config paths (`upstreams.backend.auth.token`)
 * of its `${secret:NAME}` references. What a secret's deletion is checked against.
 */
export function vaultReferencePaths(config: unknown): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const seen = new Set<object>();
  const walk = (value: unknown, path: string): void => {
    if (value instanceof VaultSecretReference) found.set(value.secretName, [...(found.get(value.secretName) ?? []), path]);
    else if (value instanceof SecretValue || value === null || typeof value !== 'object' || seen.has(value)) return;
    else {
      seen.add(value);
      if (Array.isArray(value)) value.forEach((child, index) => walk(child, `${path}[${index}]`));
      else for (const [key, child] of Object.entries(value)) walk(child, path === '' ? key : `${path}.${key}`);
    }
  };
  walk(config, '');
  return found;
}

/**
 * What a vault secret may be called: a letter, then letters, digits, `_` and `-`, at most 64 in all.
 * The same as an admin API path parameter (no escaping anywhere) and what `${secret:NAME}`
 * accepts (config/secret.ts keeps its own copy of the pattern: config may not import a service).
 */
export const SECRET_NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_-]{0,63}$';
const NAME = new RegExp(SECRET_NAME_PATTERN);

export function isSecretName(name: string): boolean {
  return NAME.test(name);
}

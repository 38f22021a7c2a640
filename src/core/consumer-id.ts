/**
 * What a consumer id may hold, wherever one is made or mapped: the store, auth-jwt claims,
 * auth-mtls rules and certificate URIs, the admin API. 1–256 visible ASCII characters, without
 * `,` `;` `"` and `\`: the id travels in `X-Consumer-Id`, in logs and in rate-limit keys, and an
 * upstream that joins or parses header values would read a comma as a list separator (RFC 9110
 * §5.3), a semicolon as the start of a parameter, and `"`/`\` as quoted-string syntax (§5.6.4):
 * one consumer could pass for two, or two for one.
 */

/** The rule as a JSON Schema / RegExp source (for config and admin API schemas). */
export const CONSUMER_ID_PATTERN = '^[\\x21\\x23-\\x2b\\x2d-\\x3a\\x3c-\\x5b\\x5d-\\x7e]{1,256}$';

const CONSUMER_ID = new RegExp(CONSUMER_ID_PATTERN);

export function isSafeConsumerId(value: string): boolean {
  return CONSUMER_ID.test(value);
}

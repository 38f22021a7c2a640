/**
 * Telling bearer credentials apart by shape, so that a route accepting an API key or a JWT lets
 * each authentication policy skip the other kind (with `required: false`). A shape test only:
 * nothing is parsed or trusted here.
 */

/** A JWS compact serialization: three base64url parts (RFC 7515 §7.1). An API key never has dots. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

export function looksLikeJwt(value: string): boolean {
  return JWT_SHAPE.test(value);
}

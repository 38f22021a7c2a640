/**
 * The largest clock skew auth-jwt can be configured to allow on exp, nbf and iat. Whatever is kept
 * about a token until it expires (a revocation, say) must be kept this much longer: a verifier may
 * still accept the token until exp plus its skew.
 */
export const MAX_CLOCK_SKEW_SECONDS = 300;

/**
 * The consumer identity a client certificate carries: a SAN URI `urn:portcullis:consumer:<id>`.
 * A leaf, because the private CA writes it (`certs issue --consumer`) and auth-mtls reads it.
 */

/** The SAN URI prefix naming the consumer a client certificate belongs to. */
export const CONSUMER_URI_PREFIX = 'urn:portcullis:consumer:';

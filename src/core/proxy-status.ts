/**
 * The `Proxy-Status` response header (RFC 9209) on every error the gateway answers itself or
 * normalises: which intermediary produced it (`portcullis`), the proxy error type of RFC 9209
 * §2.3 that matches the gateway's code, and the code itself as `details`. For a normalised
 * upstream error it carries the status the upstream sent (`received-status`, §2.1.3) instead, so
 * a client (or a support engineer reading its logs) can tell "the gateway refused" from "the
 * third party refused". The member is a Structured Field list member (RFC 8941): a token, then
 * parameters; `details` is an sf-string and a stable code, so no escaping is needed.
 */
import { ERROR_TABLE, type ErrorCode, type GatewayError } from './errors.js';

/** This intermediary's name in Proxy-Status. */
export const PROXY_STATUS_NAME = 'portcullis';

/** RFC 9209 §2.3 proxy error types, for codes where the default by status class would mislead. */
const ERROR_TYPES: Partial<Record<ErrorCode, string>> = {
  'route.not_found': 'destination_not_found',
  'route.sunset': 'destination_not_found',
  'request.malformed': 'http_request_error',
  'request.timeout': 'http_request_error',
  'request.body_too_large': 'http_request_error',
  'request.header_too_large': 'http_request_error',
  'request.uri_too_long': 'http_request_error',
  'request.not_implemented': 'http_request_error',
  'request.unsupported_media_type': 'http_request_error',
  'validation.failed': 'http_request_error',
  'upstream.unavailable': 'destination_unavailable',
  'upstream.timeout': 'http_response_timeout',
  'upstream.egress_denied': 'destination_ip_prohibited',
  'upstream.assessment_below_minimum': 'destination_unavailable',
  'upstream.contract_violation': 'http_protocol_error',
  'upstream.content_encoding_unsupported': 'http_response_content_coding',
  'upstream.content_encoding_invalid': 'http_response_content_coding',
  'upstream.response_too_large': 'http_response_body_size',
};

/**
 * The Proxy-Status value for `error`. A normalised upstream error (its `upstreamStatus`
 * extension set) says what was received; any other says the proxy error type: the table above,
 * else `http_request_denied` for a 4xx (a policy refused the request, §2.3.13) and
 * `proxy_internal_error` for a 5xx (§2.3.31).
 */
export function proxyStatusOf(error: GatewayError): string {
  const received = error.extensions.upstreamStatus;
  if (typeof received === 'number' && Number.isInteger(received)) return `${PROXY_STATUS_NAME}; received-status=${received}; details="${error.code}"`;
  const type = ERROR_TYPES[error.code] ?? (ERROR_TABLE[error.code].status < 500 ? 'http_request_denied' : 'proxy_internal_error');
  return `${PROXY_STATUS_NAME}; error=${type}; details="${error.code}"`;
}

/**
 * One audit record as a syslog message (RFC 5424) in the octet-counted frame of syslog over TLS
 * (RFC 5425 §4.3). Pure functions: the transport is syslog-tls-sink.ts.
 *
 *   SYSLOG-FRAME = MSG-LEN SP SYSLOG-MSG                                      (RFC 5425 §4.3)
 *   SYSLOG-MSG   = <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG      (RFC 5424 §6)
 *
 * MSG is the record's JSON exactly as the chain holds it, after the UTF-8 BOM (RFC 5424 §6.4), so a
 * receiver can re-hash it; the structured data repeats `seq` and `hash` for receivers that index
 * SD-PARAMs without parsing the JSON.
 */
import { recordJson, type SinkRecord } from './sink.js';

/** RFC 5424 §6.2.1 Table 1: facility 13 is "log audit". */
export const LOG_AUDIT_FACILITY = 13;
/** RFC 5424 Table 2 severities used: a change that happened is informational, a denied or failed one a warning. */
const INFORMATIONAL = 6;
const WARNING = 4;
/**
 * The SD-ID's enterprise number (RFC 5424 §7.2.2). 32473 is the number IANA reserves for
 * documentation and examples (RFC 5612); an operator with their own Private Enterprise Number sets it.
 */
export const EXAMPLE_ENTERPRISE_NUMBER = 32473;
const BOM = '\uFEFF';

export interface SyslogFormat {
  readonly facility: number;
  /** HOSTNAME (RFC 5424 §6.2.4): printable US-ASCII, at most 255 characters. */
  readonly hostname: string;
  /** APP-NAME (§6.2.5): at most 48 characters. */
  readonly appName: string;
  /** PROCID (§6.2.6): at most 128 characters. */
  readonly procId: string;
  readonly enterpriseNumber: number;
}

/** RFC 5424 §6: a header field is 1..max printable US-ASCII characters (33..126), else the NILVALUE "-". */
export function headerField(value: string, max: number): string {
  const printable = value.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return printable === '' ? '-' : printable;
}

/** RFC 5424 §6.3.3: inside a PARAM-VALUE, '"', '\' and ']' are escaped with a backslash. */
function paramValue(value: string): string {
  return value.replace(/["\\\]]/g, (character) => `\\${character}`);
}

/** The RFC 5424 message of one record. */
export function syslogMessage(record: SinkRecord, format: SyslogFormat): string {
  const outcome = typeof record['outcome'] === 'string' ? record['outcome'] : 'success';
  const severity = outcome === 'success' ? INFORMATIONAL : WARNING;
  const pri = format.facility * 8 + severity;
  const sd = `[portcullis@${format.enterpriseNumber} seq="${record.seq}" hash="${paramValue(record.hash)}" v="${record.v}"]`;
  return [
    `<${pri}>1`,
    headerField(record.time, 48),
    headerField(format.hostname, 255),
    headerField(format.appName, 48),
    headerField(format.procId, 128),
    // MSGID (§6.2.7): the action, e.g. api_key.revoke: at most 32 characters.
    headerField(record.action, 32),
    sd,
    `${BOM}${recordJson(record)}`,
  ].join(' ');
}

/** RFC 5425 §4.3: the message's length in octets, a space, the message. */
export function octetCountedFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

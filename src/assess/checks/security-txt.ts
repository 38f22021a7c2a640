/**
 * The provider's security.txt (RFC 9116): served at /.well-known/security.txt as text/plain
 * (§3), with at least one Contact (§2.5.3) and exactly one Expires not in the past (§2.5.5). A
 * signed file (§2.3, an OpenPGP cleartext signature) is read between its armor lines; the
 * signature itself is not verified (that needs the provider's key, named in the file).
 */
import type { Clock } from '../../core/clock.js';
import type { AssessFinding } from '../finding.js';
import { API_RULES as RULES } from './api-rules.js';
import { found } from './found.js';
import type { HttpReply } from './http-probe.js';

/** Fields of a security.txt body: lower-cased names, every value in order (RFC 9116 §2.4: `name: value` lines). */
export function securityTxtFields(body: string): Map<string, string[]> {
  let lines = body.split(/\r?\n/);
  const armor = lines.indexOf('-----BEGIN PGP SIGNED MESSAGE-----');
  if (armor >= 0) {
    // RFC 4880 §7: armor headers, a blank line, the dash-escaped text, then the signature block.
    const start = lines.indexOf('', armor) + 1;
    const end = lines.indexOf('-----BEGIN PGP SIGNATURE-----', start);
    lines = lines.slice(start, end < 0 ? undefined : end).map((line) => line.replace(/^- /, ''));
  }
  const fields = new Map<string, string[]>();
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    fields.set(name, [...(fields.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return fields;
}

/** Findings of the reply to GET /.well-known/security.txt, judged at `clock`'s time. */
export function judgeSecurityTxt(reply: HttpReply, clock: Clock): AssessFinding[] {
  const where = reply.url;
  if (reply.status !== 200) return [found(RULES.noSecurityTxt, `GET ${where} answered HTTP ${reply.status}`, where)];
  const type = (reply.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'text/plain') return [found(RULES.noSecurityTxt, `${where} is served as ${type || 'no media type'}, not text/plain (RFC 9116 §3)`, where)];
  const fields = securityTxtFields(reply.body);
  const findings: AssessFinding[] = [];
  if ((fields.get('contact') ?? []).length === 0) findings.push(found(RULES.securityTxtNoContact, 'security.txt has no Contact field', where));
  const expires = fields.get('expires') ?? [];
  const at = expires.length === 1 ? Date.parse(expires[0]!) : Number.NaN;
  if (expires.length !== 1) findings.push(found(RULES.securityTxtExpired, expires.length === 0 ? 'security.txt has no Expires field' : 'security.txt has more than one Expires field', where));
  else if (Number.isNaN(at)) findings.push(found(RULES.securityTxtExpired, `security.txt's Expires is not a date-time: ${expires[0]}`, where));
  else if (at <= clock.now()) findings.push(found(RULES.securityTxtExpired, `security.txt expired at ${new Date(at).toISOString()}`, where));
  return findings;
}

/**
 * `portcullis credentials …`: the upstream credentials the gateway injects into requests to third
 * parties (docs/outbound.md), through the admin API. A credential's settings name secrets by
 * reference only; a secret value given to `create` comes from a file or stdin (never an argument:
 * arguments show in process listings and shell history), is stored in the vault as its own secret
 * and referenced as `${secret:NAME}`. No command ever prints a secret or a token.
 */
import type { Command } from 'commander';
import { action, addAdminOptions, adminCall, adminList, CliError, print, table, type AdminOptions } from './admin-client.js';
import { authorize, type AuthorizeOptions } from './credentials-authorize.js';
import { registerCredentialsReportCommand } from './credentials-report-command.js';
import { readValue } from './secrets-command.js';

const COLUMNS = ['name', 'kind', 'status', 'owner', 'effectiveExpiresAt', 'tokenExpiresAt', 'lastUsedAt'];
const SHOW = ['name', 'id', 'kind', 'status', 'statusReason', 'owner', 'consumerId', 'effectiveExpiresAt', 'tokenExpiresAt', 'refreshedAt', 'lastUsedAt', 'lastError', 'lastErrorAt', 'createdBy', 'createdAt'];
const KINDS = ['client_credentials', 'refresh_token', 'static'] as const;

/** The secret fields of a credential's settings, as `settings` names them and as the CLI's options do. */
const SECRET_FIELDS = [
  { field: 'clientSecret', option: 'client-secret', what: 'the client secret (client_secret_basic / client_secret_post)' },
  { field: 'privateKey', option: 'private-key', what: 'the private key for private_key_jwt (PKCS#8 PEM)' },
  { field: 'tlsCert', option: 'tls-cert', what: 'the client certificate for tls_client_auth (PEM)' },
  { field: 'tlsKey', option: 'tls-key', what: 'the client certificate\'s private key (PEM)' },
  { field: 'secret', option: 'secret', what: 'static: the bearer token, basic password or header value' },
] as const;

type SecretField = (typeof SECRET_FIELDS)[number]['field'];
type CreateOptions = AdminOptions & Record<string, string | undefined> & { kind: string; owner: string; stdin?: string };

const REFERENCE = /^\$\{(env|secret):[A-Za-z_][A-Za-z0-9_.-]*\}$/;
const camel = (option: string) => option.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const path = (idOrName: string, rest = '') => `/v1/credentials/${encodeURIComponent(idOrName)}${rest}`;

/** `30d` → 30. */
function days(flag: string, value: string): number {
  const match = /^([0-9]{1,4})d$/.exec(value);
  if (!match) throw new CliError(`${flag} takes a number of days such as 30d`);
  return Number(match[1]);
}

function wholeNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]{0,3}$/.test(value)) throw new CliError(`${flag} is a whole number of days from 1`);
  return Number(value);
}

/**
 * The settings' secret references: `--<field>-ref` as given, or a value from `--<field>-file` or
 * stdin (`--stdin <field>`) stored in the vault as `credential-<name>-<field>` and referenced.
 */
async function secretReferences(name: string, options: CreateOptions): Promise<Partial<Record<SecretField, string>>> {
  const references: Partial<Record<SecretField, string>> = {};
  const stdinField = options.stdin === undefined ? undefined : SECRET_FIELDS.find((f) => f.option === options.stdin || f.field === options.stdin);
  if (options.stdin !== undefined && !stdinField) throw new CliError(`--stdin takes one of ${SECRET_FIELDS.map((f) => f.option).join(', ')}`);
  for (const { field, option } of SECRET_FIELDS) {
    const reference = options[`${camel(option)}Ref`];
    const file = options[`${camel(option)}File`];
    const fromStdin = stdinField?.field === field;
    if ([reference !== undefined, file !== undefined, fromStdin].filter(Boolean).length > 1) throw new CliError(`give ${option} once: --${option}-ref, --${option}-file or --stdin ${option}`);
    if (reference !== undefined) {
      if (!REFERENCE.test(reference)) throw new CliError(`--${option}-ref takes a reference such as \${secret:NAME} or \${env:NAME}, never a value`);
      references[field] = reference;
    } else if (file !== undefined || fromStdin) {
      const secretName = `credential-${name}-${option}`;
      if (secretName.length > 64) throw new CliError(`${secretName} is too long for a secret name: store it with \`portcullis secrets set\` and give --${option}-ref`);
      const value = await readValue(file);
      await adminCall(options, 'POST', `/v1/secrets/${secretName}/versions`, { value, stage: false, description: `${option} of upstream credential ${name}` });
      references[field] = `\${secret:${secretName}}`;
    }
  }
  return references;
}

function settingsFrom(options: CreateOptions, references: Partial<Record<SecretField, string>>): Record<string, unknown> {
  const pick = (...names: string[]) => Object.fromEntries(names.map((n) => [n, options[n]]).filter(([, v]) => v !== undefined));
  if (options.kind === 'static') return { ...pick('scheme', 'username', 'header'), ...(references.secret === undefined ? {} : { secret: references.secret }) };
  const { secret: _unused, ...oauthReferences } = references;
  return {
    ...pick('tokenUrl', 'issuer', 'clientId', 'clientAuth', 'privateKeyAlg', 'keyId', 'scope', 'audience', 'resource', 'header'),
    ...(options.kind === 'refresh_token' ? pick('authorizationUrl', 'redirectUri') : {}),
    ...oauthReferences,
  };
}

export function registerCredentialsCommand(program: Command): void {
  const credentials = program.command('credentials').description('upstream credentials the gateway injects into calls to third-party APIs: create, list, show, refresh, revoke, authorize; report: every credential expired, past policy or expiring');

  const create = credentials
    .command('create <name>')
    .description('create an upstream credential; secrets come from a file or stdin (stored in the vault) or as ${secret:…}/${env:…} references, never as values in arguments')
    .requiredOption('--kind <kind>', KINDS.join(' | '))
    .requiredOption('--owner <owner>', 'who answers for it (a team, an address)')
    .option('--token-url <url>', 'OAuth: the token endpoint')
    .option('--issuer <issuer>', 'OAuth: the issuer (the audience of a private_key_jwt assertion)')
    .option('--client-id <id>', 'OAuth: the client id')
    .option('--client-auth <method>', 'OAuth: client_secret_basic | client_secret_post | private_key_jwt | tls_client_auth')
    .option('--private-key-alg <alg>', 'private_key_jwt: RS256 | PS256 | ES256 | ES384 | EdDSA')
    .option('--key-id <kid>', 'private_key_jwt: the key id')
    .option('--scope <scope>', 'OAuth: space-separated scopes to request')
    .option('--audience <audience>', 'OAuth: an audience parameter')
    .option('--resource <uri>', 'OAuth: a resource indicator (RFC 8707)')
    .option('--authorization-url <url>', 'refresh_token: the authorization endpoint, for `credentials authorize`')
    .option('--redirect-uri <uri>', 'refresh_token: the loopback redirect URI registered with the provider (http://127.0.0.1:PORT/callback)')
    .option('--scheme <scheme>', 'static: bearer | basic | header')
    .option('--username <user>', 'static basic: the user name')
    .option('--header <name>', 'the header the credential goes in (default Authorization)')
    .option('--consumer <id>', 'the consumer or partner it serves: disabling that consumer revokes it')
    .option('--expires-at <time>', 'when it expires (RFC 3339)')
    .option('--max-age-days <n>', 'expire this many days after creation (default: credentials.maxAgeDays)')
    .option('--disable-if-unused-days <n>', 'expire when unused for this many days')
    .option('--stdin <field>', `read one secret from stdin: ${SECRET_FIELDS.map((f) => f.option).join(', ')}`);
  for (const { option, what } of SECRET_FIELDS) {
    create.option(`--${option}-file <path>`, `${what}: read from this file and stored in the vault`);
    create.option(`--${option}-ref <reference>`, `${what}: a reference, \${secret:NAME} or \${env:NAME}`);
  }
  addAdminOptions(create).action(
    action(async (name: string, options: CreateOptions) => {
      if (!(KINDS as readonly string[]).includes(options.kind)) throw new CliError(`--kind is one of ${KINDS.join(', ')}`);
      const references = await secretReferences(name, options);
      const body = {
        name,
        kind: options.kind,
        owner: options.owner,
        settings: settingsFrom(options, references),
        ...(options.consumer === undefined ? {} : { consumerId: options.consumer }),
        ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }),
        ...(options.maxAgeDays === undefined ? {} : { maxAgeDays: wholeNumber('--max-age-days', options.maxAgeDays) }),
        ...(options.disableIfUnusedDays === undefined ? {} : { disableIfUnusedDays: wholeNumber('--disable-if-unused-days', options.disableIfUnusedDays) }),
      };
      const created = (await adminCall(options, 'POST', '/v1/credentials', body)) as Record<string, unknown>;
      print(options, created, () => table([created], COLUMNS) + (options.kind === 'refresh_token' ? `\nnext: portcullis credentials authorize ${name} (or set-refresh-token ${name} < file)\n` : ''));
    }),
  );

  addAdminOptions(credentials.command('list').description('list upstream credentials and their state (never a secret or a token)').option('--expiring <days>', 'only those expiring within a window such as 30d')).action(
    action(async (options: AdminOptions & { expiring?: string }) => {
      const query = options.expiring === undefined ? '' : `?expiringWithinDays=${days('--expiring', options.expiring)}`;
      const items = await adminList<Record<string, unknown>>(options, `/v1/credentials${query}`);
      print(options, items, () => table(items, COLUMNS));
    }),
  );

  addAdminOptions(credentials.command('show <name>').description('one credential: state, expiry, last refresh, last error, secret references (never a value or a token)')).action(
    action(async (name: string, options: AdminOptions) => {
      const shown = (await adminCall(options, 'GET', path(name))) as Record<string, unknown>;
      print(options, shown, () => {
        const lines = SHOW.filter((key) => key in shown).map((key) => `${key.padEnd(20)}${shown[key] ?? '-'}`);
        const settings = Object.entries(shown.settings as Record<string, unknown>).map(([key, value]) => `  ${key.padEnd(18)}${String(value)}`);
        return `${lines.join('\n')}\nsettings\n${settings.join('\n')}\n`;
      });
    }),
  );

  addAdminOptions(credentials.command('refresh <name>').description('obtain a new token now (client credentials or refresh token)')).action(
    action(async (name: string, options: AdminOptions) => {
      const shown = (await adminCall(options, 'POST', path(name, '/refresh'), {})) as Record<string, unknown>;
      print(options, shown, () => `${name}: new token until ${String(shown.tokenExpiresAt)}\n`);
    }),
  );

  addAdminOptions(credentials.command('revoke <name>').description('revoke a credential for good: it is never injected again').requiredOption('--reason <reason>', 'why: leaked, rotated, decommissioned, …')).action(
    action(async (name: string, options: AdminOptions & { reason: string }) => {
      const shown = (await adminCall(options, 'POST', path(name, '/revoke'), { reason: options.reason })) as Record<string, unknown>;
      print(options, shown, () => `${name}: revoked (${options.reason})\n`);
    }),
  );

  addAdminOptions(credentials.command('release <name>').description('release a quarantined credential: it is injected again')).action(
    action(async (name: string, options: AdminOptions) => {
      const shown = (await adminCall(options, 'POST', path(name, '/release'), {})) as Record<string, unknown>;
      print(options, shown, () => `${name}: ${String(shown.status)}\n`);
    }),
  );

  addAdminOptions(credentials.command('set-refresh-token <name>').description('store a refresh token obtained elsewhere, read from stdin or --file (never an argument)').option('--file <path>', 'read the token from this file instead of stdin')).action(
    action(async (name: string, options: AdminOptions & { file?: string }) => {
      const refreshToken = await readValue(options.file);
      const shown = await adminCall(options, 'POST', path(name, '/refresh-token'), { refreshToken });
      print(options, shown, () => `${name}: refresh token stored (sealed)\n`);
    }),
  );

  addAdminOptions(
    credentials
      .command('authorize <name>')
      .description('obtain the refresh token once: authorization-code flow with PKCE, the redirect caught on the loopback redirect URI, the code exchanged by the gateway')
      .option('--timeout <seconds>', 'how long to wait for the redirect', '300'),
  ).action(
    action(async (name: string, options: AdminOptions & { timeout: string }) => {
      if (!/^[1-9][0-9]{0,4}$/.test(options.timeout)) throw new CliError('--timeout is a whole number of seconds');
      const shown = await authorize(name, { ...options, timeout: Number(options.timeout) } as AuthorizeOptions);
      print(options, shown, () => `${name}: authorized; refresh token stored (sealed), access token until ${String(shown.tokenExpiresAt ?? '-')}\n`);
    }),
  );

  registerCredentialsReportCommand(credentials);
}

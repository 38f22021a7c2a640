/**
 * The command groups of `portcullis`, loaded lazily. Each group's module imports what its commands
 * need (the gateway, the store, the config validator), which takes seconds to load; `--version`,
 * `--help` and `keys list` need none of it. So the program registers only the group the command
 * line names, and a stub (name, help line) for every other group so that `--help` lists them all
 * and a mistyped command still gets "did you mean". test/cli-lazy.test.ts keeps the stubs' help
 * lines equal to what the real modules register.
 */
import { Command, Help } from 'commander';

type Register = (program: Command) => void;

/** One command group: the top-level commands a module registers, with their help lines. */
interface CommandGroup {
  /** Each top-level command of the group: `term` as `--help` lists it, `description` as the module sets it. */
  readonly commands: ReadonlyArray<{ readonly term: string; readonly description: string }>;
  readonly load: () => Promise<Register>;
}

export const COMMAND_GROUPS: readonly CommandGroup[] = [
  {
    commands: [{ term: 'start [options]', description: 'start the gateway with a config file (reloads on SIGHUP and on file change)' }],
    load: async () => (await import('./start-command.js')).registerStartCommand,
  },
  {
    commands: [{ term: 'config', description: 'check and describe configuration files' }],
    load: async () => (await import('./config-commands.js')).registerConfigCommands,
  },
  {
    commands: [
      { term: 'ca', description: 'the private CA that issues partner client certificates' },
      { term: 'certs', description: 'client certificates issued by the private CA' },
    ],
    load: async () => (await import('./ca-command.js')).registerCaCommands,
  },
  {
    commands: [{ term: 'demo [options]', description: 'start the gateway in front of a built-in sample payments API, and print what to try' }],
    load: async () => (await import('./demo-command.js')).registerDemoCommand,
  },
  {
    commands: [{ term: 'consumers', description: 'manage consumers (partners and applications) through the admin API' }],
    load: async () => (await import('./consumers-command.js')).registerConsumersCommand,
  },
  {
    commands: [{ term: 'keys', description: 'manage API keys through the admin API' }],
    load: async () => (await import('./keys-command.js')).registerKeysCommand,
  },
  {
    commands: [{ term: 'limits', description: 'rate-limit overrides per consumer or API key, through the admin API' }],
    load: async () => (await import('./limits-command.js')).registerLimitsCommand,
  },
  {
    commands: [{ term: 'migrate [options]', description: "apply the store's pending migrations (also done at start unless store.migrateOnStart is false)" }],
    load: async () => (await import('./migrate-command.js')).registerMigrateCommand,
  },
  {
    commands: [{ term: 'clients', description: 'manage OAuth clients of the built-in authorization server through the admin API' }],
    load: async () => (await import('./clients-command.js')).registerClientsCommand,
  },
  {
    commands: [{ term: 'audit', description: 'read, export and verify the tamper-evident audit trail' }],
    load: async () => (await import('./audit-command.js')).registerAuditCommand,
  },
  {
    commands: [{ term: 'fields', description: "field-usage evidence of the fields policy's allowlists, through the admin API" }],
    load: async () => (await import('./fields-command.js')).registerFieldsCommand,
  },
  {
    commands: [{ term: 'alerts', description: 'alerts firing now, silences and test notifications, through the admin API' }],
    load: async () => (await import('./alerts-command.js')).registerAlertsCommand,
  },
  {
    commands: [{ term: 'secrets', description: "the vault's secrets: set from stdin or a file, list, versions, promote, delete, reveal" }],
    load: async () => (await import('./secrets-command.js')).registerSecretsCommand,
  },
  {
    commands: [{ term: 'credentials', description: 'upstream credentials the gateway injects into calls to third-party APIs: create, list, show, refresh, revoke, authorize; report: every credential expired, past policy or expiring' }],
    load: async () => (await import('./credentials-command.js')).registerCredentialsCommand,
  },
  {
    commands: [
      { term: 'backup [options]', description: "write the store (the vault's ciphertexts, never the KEK) to one file, consistently, while the gateway runs" },
      { term: 'restore [options]', description: 'load a backup into an empty database (refused if it holds anything); start the gateway on it with the same KEK' },
    ],
    load: async () => (await import('./backup-command.js')).registerBackupCommands,
  },
  {
    commands: [{ term: 'vault', description: 'the vault: re-wrap every data key with a new KEK' }],
    load: async () => (await import('./vault-command.js')).registerVaultCommand,
  },
  {
    commands: [{ term: 'signing-keys', description: 'OAuth token signing keys of the built-in authorization server' }],
    load: async () => (await import('./signing-keys-command.js')).registerSigningKeysCommand,
  },
  {
    commands: [
      { term: 'users', description: 'admin users: invite, disable, delete, roles, password resets (through the admin API)' },
      { term: 'roles', description: 'roles and the permission table; custom roles (through the admin API)' },
      { term: 'admin-tokens', description: 'scoped admin tokens (ptc_adm_…) for automation (through the admin API)' },
      { term: 'whoami [options]', description: 'who the admin API takes you for: user or token, roles, permissions' },
      { term: 'rbac', description: 'explain admin access decisions' },
    ],
    load: async () => (await import('./admin-users-command.js')).registerAdminUsersCommands,
  },
  {
    commands: [
      { term: 'login [options]', description: 'sign in as an admin user; keeps the session in a file only you can read' },
      { term: 'logout [options]', description: 'end the session portcullis login stored' },
      { term: 'mfa', description: 'your second factor (TOTP) and MFA resets (through the admin API)' },
    ],
    load: async () => (await import('./login-command.js')).registerLoginCommands,
  },
  {
    commands: [{ term: 'inventory [options]', description: 'every route: methods, path, upstream, contract and version, owner, authentication, scopes, lifecycle and traffic; or the API as partners see it (--format openapi)' }],
    load: async () => (await import('./inventory-command.js')).registerInventoryCommand,
  },
  {
    commands: [{ term: 'preflight [options]', description: 'check a config, its store and its live endpoints against the deployment checklist; every finding with a rule id, severity, place, reason and fix' }],
    load: async () => (await import('./preflight-command.js')).registerPreflightCommand,
  },
  {
    commands: [{ term: 'selftest [options]', description: 'attack a running gateway with bounded black-box probes (auth, keys, JWT, smuggling, traversal, limits, headers, TLS); each probe expected vs observed' }],
    load: async () => (await import('./selftest-command.js')).registerSelftestCommand,
  },
  {
    commands: [{ term: 'assess [options] [url]', description: "grade a third-party API provider's security (TLS, certificate, HSTS, OAuth metadata, API hygiene) before trusting it" }],
    load: async () => (await import('./assess-command.js')).registerAssessCommand,
  },
  {
    commands: [{ term: 'admin', description: 'host-level admin actions that need the config and the store (break-glass)' }],
    load: async () => (await import('./break-glass-command.js')).registerAdminCommand,
  },
];

const commandName = (term: string): string => term.split(' ', 1)[0]!;

/**
 * The command word of an argument list (argv without node and the script): the first argument
 * that is not an option, or the one after `help`. Undefined for `--version`, `--help` or nothing.
 */
export function commandWord(args: readonly string[]): string | undefined {
  const words = args.filter((arg) => !arg.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/**
 * The program for one command line: the group that `word` names is loaded and registered in full;
 * every other group is a stub that only shows in the help. `loadAll` registers every group for
 * real (the test that keeps the stubs in step).
 */
export async function buildProgram(version: string, word: string | undefined, loadAll = false): Promise<Command> {
  const stubTerms = new Map<Command, string>();
  const program = new Command()
    .name('portcullis')
    .description('A self-hosted gateway that secures API integrations in both directions.')
    .version(version, '-v, --version', 'print the version')
    .showHelpAfterError()
    .configureHelp({
      sortSubcommands: true,
      // A stub has no options or arguments of its own: its term comes from the table.
      subcommandTerm: (cmd) => stubTerms.get(cmd) ?? Help.prototype.subcommandTerm.call(new Help(), cmd),
    });
  for (const group of COMMAND_GROUPS) {
    if (loadAll || group.commands.some((command) => commandName(command.term) === word)) {
      (await group.load())(program);
      continue;
    }
    for (const { term, description } of group.commands) stubTerms.set(program.command(commandName(term)).description(description), term);
  }
  return program;
}

/**
 * Loads portcullis.yaml (or JSON): parse, fill defaults, validate against the schema and the
 * semantic checks, resolve secret references, freeze. Every problem is reported at once with its
 * path (`routes[2].upstream: unknown upstream "paymnts"`); nothing half-valid is ever returned.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ErrorObject } from 'ajv';
import { configValidator } from './config-validator.js';
import { parseDocument, type YAMLError } from 'yaml';
import type { ConfigIssue } from '../core/policy.js';
import { POLICIES } from '../policies/index.js';
import { ConfigSchema, POLICIES_DESCRIPTION, type GatewayConfig } from './schema.js';
import { checkSemantics } from './semantics.js';
import { expandContractRoutes } from './contract-routes.js';
import { contractSecurityWarnings } from './contract-security.js';
import { contractSecurityEnforcementIssues } from './contract-security-enforce.js';
import { contractCacheOf, contractUses } from './contract-uses.js';
import { prepareContracts, reportPreparations } from '../openapi/contract-prepare.js';
import { checkStartRules } from './start-rules.js';
import { applyServersPrefix } from './servers-prefix.js';
import { REFERENCE_HINT, resolveSecretReference, VaultSecretReference } from './secret.js';
import { suggest } from '../core/suggest.js';

/** `warnings`: what is valid but likely a mistake (a contract that requires security on a route without authentication). */
export type LoadResult = { ok: true; config: GatewayConfig; warnings: ConfigIssue[] } | { ok: false; issues: ConfigIssue[] };

export interface LoadOptions {
  /** false: check that secret fields are references, but do not look them up (CI without production secrets). */
  resolveSecrets?: boolean;
  /** Folder that relative file paths in the config are resolved against; default: the working directory. */
  baseDir?: string;
}

export async function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    return { ok: false, issues: [{ path: '(file)', message: `cannot read ${path}: ${reason}` }] };
  }
  const withBase = { baseDir: dirname(resolve(path)), ...options };
  const parsed = parseConfigText(text);
  if (!parsed.ok) return parsed;
  // The contracts the config uses compile in a worker thread first (or come from the contract
  // cache): the check below then finds them ready instead of compiling them on this thread.
  const baseDir = withBase.baseDir;
  reportPreparations(await prepareContracts(contractUses(parsed.raw, baseDir), contractCacheOf(parsed.raw, baseDir, env)));
  return validateConfig(parsed.raw, env, withBase);
}

export function loadConfigText(text: string, env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): LoadResult {
  const parsed = parseConfigText(text);
  return parsed.ok ? validateConfig(parsed.raw, env, options) : parsed;
}

function parseConfigText(text: string): { ok: true; raw: unknown } | { ok: false; issues: ConfigIssue[] } {
  // YAML 1.2 is a superset of JSON, so one parser reads both; duplicate keys are errors.
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) return { ok: false, issues: document.errors.map(describeSyntaxError) };
  return { ok: true, raw: document.toJS() };
}

export function validateConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): LoadResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, issues: [{ path: '(root)', message: 'must be a mapping with listeners, upstreams and routes' }] };
  }
  const config = structuredClone(raw) as Record<string, unknown>;
  addDefaultPolicies(config);
  const validateSchema = configValidator();
  const issues: ConfigIssue[] = [];
  const shapeOk = validateSchema(config);
  if (!shapeOk) issues.push(...dedupe((validateSchema.errors ?? []).map(describeSchemaError)));
  resolveFilePaths(ConfigSchema as unknown as SchemaNode, config, options.baseDir ?? process.cwd());
  // Before contractRoutes are expanded: one warning per entry, not one per generated route.
  const warnings = shapeOk ? contractSecurityWarnings(config) : [];
  // Written routes only: generated ones get their prefix from their contractRoutes entry.
  if (shapeOk) applyServersPrefix(config.routes);
  const written = Array.isArray(config.routes) ? config.routes.length : 0;
  const generated = expandContractRoutes(config);
  issues.push(...generated.issues);
  const later: ConfigIssue[] = [];
  // Generated routes get their policies' defaults the same way written ones did (their options
  // were already checked once, under contractRoutes[].policies).
  if (shapeOk && generated.added > 0 && !validateSchema(config)) later.push(...(validateSchema.errors ?? []).map(describeSchemaError));
  const schemaPaths = issues.map((issue) => issue.path);
  later.push(...checkSemantics(config, { shapeValid: (path) => !schemaPaths.some((bad) => bad === path || bad.startsWith(`${path}.`) || bad.startsWith(`${path}[`)) }));
  if (shapeOk) later.push(...contractSecurityEnforcementIssues(config));
  // Every problem at once: a missing environment variable is reported with the others, not after them.
  const secretsResolved = options.resolveSecrets !== false;
  if (secretsResolved) later.push(...resolveSecrets(ConfigSchema as unknown as SchemaNode, config, '', env, vaultAllowed(config)));
  later.push(...checkStartRules(config, secretsResolved));
  // A problem in a generated route is the contractRoutes entry's: reported once, where it was written.
  // A contract that failed to load explains the missing routes by itself.
  const noRoutesExplained = generated.issues.length > 0;
  issues.push(...later.filter((issue) => !(noRoutesExplained && issue.path === 'routes')).map((issue) => generatedOrigin(issue, written, generated.origins)));
  if (issues.length > 0) return { ok: false, issues: dedupe(issues) };
  return { ok: true, config: deepFreeze(config) as unknown as GatewayConfig, warnings };
}

/**
 * `routes[k].upstream` of a route generated from `contractRoutes[i]` → `contractRoutes[i].upstream`
 * (and likewise its policies and host); the route's own generated parts (its path or name) are named
 * by the entry and the route. Issues of written routes are left as they are.
 */
function generatedOrigin(issue: ConfigIssue, written: number, origins: readonly number[]): ConfigIssue {
  const match = /^routes\[(\d+)\](.*)$/.exec(issue.path);
  if (!match) return issue;
  const index = Number(match[1]);
  const entry = origins[index - written];
  if (index < written || entry === undefined) return issue;
  const rest = match[2]!;
  const at = `contractRoutes[${entry}]`;
  // The validate policy's binding (contract, operation) is generated from the entry's contract.
  if (/^\.policies\.validate\.(contract|operation|operationId|pathPrefix)$/.test(rest)) return { path: `${at}.contract`, message: issue.message };
  if (/^\.(upstream|host|policies)(\.|\[|$)/.test(rest)) return { path: `${at}${rest}`, message: issue.message };
  return { path: `${at}.contract`, message: `generated route ${issue.path}${rest === '' ? '' : ` (${rest.slice(1)})`}: ${issue.message}` };
}

/**
 * A YAML (or JSON) syntax error with where it is: `(syntax) line 5, column 27`, and the line with a
 * caret under the column, as the yaml library prints it.
 */
function describeSyntaxError(error: YAMLError): ConfigIssue {
  const [first = '', ...rest] = error.message.split('\n');
  const position = error.linePos?.[0];
  const excerpt = rest.filter((line, index) => line.trim() !== '' || (index > 0 && index < rest.length - 1)).map((line) => `    ${line}`).join('\n');
  const message = first.replace(/ at line \d+, column \d+:?$/, '');
  return {
    path: position ? `(syntax) line ${position.line}, column ${position.col}` : '(syntax)',
    message: excerpt === '' ? message : `${message}\n${excerpt}`,
  };
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.path}: ${issue.message}`;
}

/** Policies that are on by default get their defaults at the global level unless configured. */
function addDefaultPolicies(config: Record<string, unknown>): void {
  if (config.policies === undefined) config.policies = {};
  const policies = config.policies;
  if (typeof policies !== 'object' || policies === null || Array.isArray(policies)) return;
  for (const { definition } of POLICIES) {
    if (definition.enabledByDefault && !(definition.name in policies)) (policies as Record<string, unknown>)[definition.name] = {};
  }
}

/** `/routes/2/upstream` → `routes[2].upstream` */
export function toConfigPath(pointer: string): string {
  let path = '';
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(segment)) path += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) path += path === '' ? segment : `.${segment}`;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path === '' ? '(root)' : path;
}

function childPointer(pointer: string, key: string): string {
  return `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function join(pointer: string, key: string): string {
  return toConfigPath(childPointer(pointer, key));
}

function describeSchemaError(error: ErrorObject): ConfigIssue {
  const path = toConfigPath(error.instancePath);
  switch (error.keyword) {
    case 'required':
      return { path: join(error.instancePath, String(error.params.missingProperty)), message: 'is required' };
    case 'additionalProperties': {
      const key = String(error.params.additionalProperty);
      const parent = error.parentSchema as { properties?: Record<string, unknown>; patternProperties?: Record<string, unknown> } | undefined;
      if (parent?.patternProperties && !parent.properties) {
        return { path: join(error.instancePath, key), message: 'is not a valid name (lower-case letters, digits, "-" and "_", at most 63)' };
      }
      const hint = suggest(key, Object.keys(parent?.properties ?? {}));
      const what = (parent as { description?: string } | undefined)?.description === POLICIES_DESCRIPTION ? 'unknown policy' : 'unknown option';
      return { path: join(error.instancePath, key), message: `${what}${hint ? ` (did you mean "${hint}"?)` : ''}` };
    }
    case 'enum':
      return { path, message: `must be one of: ${(error.params.allowedValues as unknown[]).join(', ')}` };
    case 'secret':
      // Never echo the value: it may be the very secret that must not be written down.
      return { path, message: REFERENCE_HINT };
    case 'pattern': {
      const description = (error.parentSchema as { description?: string } | undefined)?.description;
      return { path, message: description ? `is not valid: ${description}` : `must match ${String(error.params.pattern)}` };
    }
    default:
      return { path, message: error.message ?? 'is not valid' };
  }
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = formatIssue(issue);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

type SchemaNode = {
  secret?: boolean;
  filePath?: boolean;
  properties?: Record<string, SchemaNode>;
  patternProperties?: Record<string, SchemaNode>;
  items?: SchemaNode;
};

/**
 * Where `${secret:NAME}` may be used: anywhere but the store's own URL (the vault lives in the
 * store), and only with a store and a vault section; undefined when it may, else why not.
 */
function vaultAllowed(config: Record<string, unknown>): (pointer: string) => string | undefined {
  return (pointer) => {
    if (pointer.startsWith('/vault/')) return 'a KEK cannot be kept in the vault it unlocks: use ${env:NAME} or a file';
    if (pointer === '/store/url') return 'the store cannot be reached through the vault it holds: use ${env:NAME}';
    if (config.store === undefined || config.vault === undefined) return 'names a vault secret: configure store and vault (docs/vault.md)';
    return undefined;
  };
}

/**
 * Walks the schema and the config together and swaps every secret reference for its SecretValue.
 * A `${secret:NAME}` becomes a VaultSecretReference, bound to the vault when the services open
 * (server/services.ts): a name the vault cannot give refuses the start or the reload there.
 */
function resolveSecrets(schema: SchemaNode, value: unknown, pointer: string, env: NodeJS.ProcessEnv, vaultRule: (pointer: string) => string | undefined): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, index) => issues.push(...resolveSecrets(schema.items!, item, `${pointer}/${index}`, env, vaultRule)));
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const [key, child] of Object.entries(record)) {
      const childSchema = schema.properties?.[key] ?? Object.values(schema.patternProperties ?? {})[0];
      if (!childSchema) continue;
      if (childSchema.secret && typeof child === 'string') {
        const resolved = resolveSecretReference(child, env);
        const refused = resolved.ok && resolved.value instanceof VaultSecretReference ? vaultRule(childPointer(pointer, key)) : undefined;
        if (resolved.ok && refused === undefined) record[key] = resolved.value;
        else issues.push({ path: join(pointer, key), message: resolved.ok ? refused! : resolved.message });
      } else {
        issues.push(...resolveSecrets(childSchema, child, childPointer(pointer, key), env, vaultRule));
      }
    }
  }
  return issues;
}

/**
 * One rule for every path option (each marked `filePath` in the schema): a relative path is
 * relative to the config file's folder, whatever the working directory, so a config means the
 * same wherever it is started from. Defaults (store.path) follow the same rule.
 */
function resolveFilePaths(schema: SchemaNode, value: unknown, baseDir: string): void {
  if (Array.isArray(value) && schema.items) {
    const items = schema.items;
    value.forEach((item, index) => {
      // A list of paths (CA files, CRL files): each relative one against the config's folder too.
      if (items.filePath && typeof item === 'string') value[index] = absolute(item, baseDir);
      else resolveFilePaths(items, item, baseDir);
    });
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const [key, child] of Object.entries(record)) {
      const childSchema = schema.properties?.[key] ?? Object.values(schema.patternProperties ?? {})[0];
      if (!childSchema) continue;
      if (childSchema.filePath && typeof child === 'string') record[key] = absolute(child, baseDir);
      else resolveFilePaths(childSchema, child, baseDir);
    }
  }
}

/** SQLite's `:memory:` names no file; an empty string is left for the schema to refuse. */
function absolute(path: string, baseDir: string): string {
  return path === ':memory:' || path === '' || isAbsolute(path) ? path : resolve(baseDir, path);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

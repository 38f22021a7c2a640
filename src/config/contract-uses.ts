/**
 * The contracts a config file uses, found in the raw config before it is checked, so that they can
 * be compiled in a worker thread first (openapi/contract-prepare.ts): the validate policy of each
 * route, of the global policies and of each contractRoutes entry, with the compile options the
 * policy will use (its defaults when unset), and where the contract cache is. A contract missed
 * here is still compiled, on the serving thread, when the config is checked.
 */
import { isAbsolute, resolve } from 'node:path';
import { ContractCache, defaultContractCacheDir } from '../openapi/contract-cache.js';
import type { ContractUse } from '../openapi/contract-prepare.js';

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);
const absolute = (path: string, baseDir: string) => (isAbsolute(path) ? path : resolve(baseDir, path));

/** A validate policy's options → the contract it compiles and how (as policies/validate's contractOptions). */
function useOf(validate: unknown, contract: unknown, baseDir: string): ContractUse[] {
  if (!isObject(validate) || validate.enabled === false || typeof contract !== 'string') return [];
  const responses = isObject(validate.responses) && (validate.responses.mode === 'report' || validate.responses.mode === 'block');
  return [{ path: absolute(contract, baseDir), options: { strictBodies: validate.unknownBodyProperties !== 'allow', responses } }];
}

const validateOf = (holder: unknown): unknown => (isObject(holder) && isObject(holder.policies) ? holder.policies.validate : undefined);

export function contractUses(raw: unknown, baseDir: string): ContractUse[] {
  if (!isObject(raw)) return [];
  const uses: ContractUse[] = [];
  const global = validateOf(raw);
  uses.push(...useOf(global, isObject(global) ? global.contract : undefined, baseDir));
  for (const route of Array.isArray(raw.routes) ? raw.routes : []) {
    const validate = validateOf(route);
    uses.push(...useOf(validate, isObject(validate) ? validate.contract : undefined, baseDir));
  }
  for (const entry of Array.isArray(raw.contractRoutes) ? raw.contractRoutes : []) {
    if (isObject(entry)) uses.push(...useOf(validateOf(entry) ?? {}, entry.contract, baseDir));
  }
  return uses;
}

/** The contract cache the raw config asks for (`contractCache`), or undefined when it is off. */
export function contractCacheOf(raw: unknown, baseDir: string, env: NodeJS.ProcessEnv): ContractCache | undefined {
  const section = isObject(raw) && isObject(raw.contractCache) ? raw.contractCache : {};
  if (section.enabled === false || typeof process.getuid !== 'function') return undefined;
  return new ContractCache(typeof section.dir === 'string' ? absolute(section.dir, baseDir) : defaultContractCacheDir(env));
}

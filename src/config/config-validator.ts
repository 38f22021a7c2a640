/**
 * The config schema's validator. Compiling it (Ajv over the whole schema, policies included) took
 * 0.5 s of every start and demo (issue 16), so the build writes it once as standalone code
 * (scripts/build-config-validator.mjs → config-validator.generated.cjs beside this file), stamped
 * with the SHA-256 of the schema it was compiled from. At run time that validator is used when its
 * stamp is the schema in force; without the file or with another stamp (a build that skipped the
 * step, a schema edited since) the schema is compiled here, as before: slower, never wrong.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { Ajv, _, type KeywordCxt, type ValidateFunction } from 'ajv';
import { ConfigSchema } from './schema.js';
import { SECRET_REFERENCE } from './secret.js';

const GENERATED = './config-validator.generated.cjs';

/** The Ajv instance the config schema is compiled with; `source`: keep the code for standalone output. */
export function configAjv(source = false): Ajv {
  // validateSchema off: checking our own fixed schema against the JSON Schema meta-schema compiled
  // that meta-schema first, on every start (strict mode still refuses any unknown keyword).
  // No code optimiser: the validator runs once per load, and the pass was 1.7 s of 2.4 s.
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, verbose: true, validateSchema: false, code: { optimize: false, source } });
  ajv.addKeyword({
    keyword: 'secret',
    type: 'string',
    schemaType: 'boolean',
    // Generated code (not a validate function), so that the validator can be written standalone.
    code(cxt: KeywordCxt) {
      if (cxt.schema !== true) return;
      const pattern = cxt.gen.scopeValue('pattern', { key: SECRET_REFERENCE.source, ref: SECRET_REFERENCE, code: _`new RegExp(${SECRET_REFERENCE.source}, ${SECRET_REFERENCE.flags})` });
      cxt.fail(_`!${pattern}.test(${cxt.data})`);
    },
  });
  // A path to a file the config refers to (an OpenAPI contract): resolved against the config file's folder.
  ajv.addKeyword({ keyword: 'filePath', type: 'string', schemaType: 'boolean' });
  return ajv;
}

/** SHA-256 of the schema in force: what a generated validator must have been compiled from. */
export function schemaStamp(): string {
  return createHash('sha256').update(JSON.stringify(ConfigSchema)).digest('hex');
}

let validator: ValidateFunction | undefined;

/** The validator: the generated one if it matches the schema, else compiled now (once per process). */
export function configValidator(): ValidateFunction {
  validator ??= generatedValidator() ?? configAjv().compile(ConfigSchema);
  return validator;
}

function generatedValidator(): ValidateFunction | undefined {
  let generated: ValidateFunction & { schemaStamp?: string };
  try {
    generated = createRequire(import.meta.url)(GENERATED) as ValidateFunction & { schemaStamp?: string };
  } catch {
    return undefined;
  }
  return generated.schemaStamp === schemaStamp() ? generated : undefined;
}

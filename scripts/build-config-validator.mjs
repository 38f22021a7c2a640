// Writes the config schema's validator as standalone code (dist/src/config/config-validator.generated.cjs),
// stamped with the SHA-256 of the schema, so that start and demo do not compile it (issue 16).
// src/config/config-validator.ts uses it only when the stamp matches the schema in force.
import { writeFileSync } from 'node:fs';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { configAjv, schemaStamp } from '../dist/src/config/config-validator.js';
import { ConfigSchema } from '../dist/src/config/schema.js';

const standaloneCode = standaloneModule.default ?? standaloneModule;
const ajv = configAjv(true);
const code = standaloneCode(ajv, ajv.compile(ConfigSchema));
writeFileSync(new URL('../dist/src/config/config-validator.generated.cjs', import.meta.url), `${code}\nmodule.exports.schemaStamp = ${JSON.stringify(schemaStamp())};\n`);

/**
 * `node dist/bench/compile-contract.js <contract>`: reads and compiles one OpenAPI document the way
 * the validate policy does (request validators, unknown body properties refused) in a fresh
 * process, and prints one JSON line: {"operations":…,"parseMs":…,"compileMs":…}. Run by
 * bench/startup.ts, once per round, so every measurement is a cold compile.
 */
import { compileContract } from '../src/openapi/contract.js';
import { readOpenApiFile } from '../src/openapi/openapi-document.js';

const path = process.argv[2];
if (!path) {
  console.error('usage: compile-contract.js <contract>');
  process.exit(2);
}
const started = performance.now();
const document = readOpenApiFile(path);
const parsed = performance.now();
compileContract(document, { strictBodies: true, responses: false });
const compiled = performance.now();
process.stdout.write(`${JSON.stringify({ operations: document.operations.length, parseMs: parsed - started, compileMs: compiled - parsed })}\n`);

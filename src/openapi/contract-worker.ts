/**
 * The worker thread that compiles OpenAPI contracts off the serving thread (contract-prepare.ts):
 * it reads, parses and compiles each contract it is sent whole, exactly as loadContract would,
 * and answers with the verdict only. Compiled functions cannot cross threads; the verdict lets the
 * serving thread compile each validator when first used, knowing it compiles.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { compileContract, type ContractOptions } from './contract.js';
import { ContractError, parseOpenApi } from './openapi-document.js';

/** A request: one contract file and the options it is compiled with. */
export interface CompileRequest {
  readonly id: number;
  readonly path: string;
  readonly options: ContractOptions;
}

/**
 * The answer: `sha256` of the bytes compiled (the verdict holds for those bytes only), and either
 * the verdict (`ok`, or the ContractError's message) or `crashed` for any other failure.
 */
export type CompileAnswer =
  | { readonly id: number; readonly sha256: string; readonly ok: true; readonly operations: number }
  | { readonly id: number; readonly sha256: string; readonly ok: false; readonly message: string }
  | { readonly id: number; readonly crashed: string };

function compileOne(request: CompileRequest): CompileAnswer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(request.path);
  } catch (error) {
    return { id: request.id, crashed: (error as Error).message };
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  try {
    const compiled = compileContract(parseOpenApi(bytes), request.options);
    return { id: request.id, sha256, ok: true, operations: compiled.operations.length };
  } catch (error) {
    if (error instanceof ContractError) return { id: request.id, sha256, ok: false, message: error.message };
    return { id: request.id, crashed: (error as Error).message };
  }
}

parentPort?.on('message', (request: CompileRequest) => parentPort!.postMessage(compileOne(request)));

/**
 * Distinguished names in RFC 4514 text, for policies that check names in their config at start
 * (auth-mtls). Loading @peculiar/x509 costs ~0.1 s of CPU, so it is loaded here on the first name
 * rather than with the module: a config without such names never loads it. The package is
 * CommonJS, so `require` returns the very instance `import` gives auth/x509.ts (one module cache),
 * set up the same way (reflect-metadata first, Node's WebCrypto).
 */
import { webcrypto } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as X509 from '@peculiar/x509';

const require = createRequire(import.meta.url);
let library: typeof X509 | undefined;

function x509(): typeof X509 {
  if (!library) {
    require('reflect-metadata');
    library = require('@peculiar/x509') as typeof X509;
    library.cryptoProvider.set(webcrypto as never);
  }
  return library;
}

/** `value` parsed and written back as RFC 4514 text in its own order; throws on what is not a name. */
export function distinguishedName(value: string): string {
  return new (x509().Name)(value).toString();
}

/**
 * Secret references. A field marked `secret` in the schema accepts only a reference such as
 * `${env:PAYMENTS_TOKEN}`; a literal is refused at load. The resolved value is wrapped so that it
 * cannot reach a log line or a JSON dump by accident: it prints as "[secret]" everywhere, and only
 * `reveal()` gives the value to the code that must send it.
 */
import { inspect } from 'node:util';

export const SECRET_REFERENCE = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/;

export class SecretValue {
  readonly #value: string;
  readonly reference: string;

  constructor(value: string, reference: string) {
    this.#value = value;
    this.reference = reference;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return `[secret ${this.reference}]`;
  }

  [inspect.custom](): string {
    return `[secret ${this.reference}]`;
  }
}

export type SecretResolution = { ok: true; value: SecretValue } | { ok: false; message: string };

export function resolveSecretReference(reference: string, env: NodeJS.ProcessEnv): SecretResolution {
  const match = SECRET_REFERENCE.exec(reference);
  if (!match) return { ok: false, message: 'is a secret: give a reference such as ${env:NAME}, not a literal value' };
  const value = env[match[1]!];
  if (value === undefined || value === '') return { ok: false, message: `environment variable ${match[1]} is not set` };
  return { ok: true, value: new SecretValue(value, reference) };
}

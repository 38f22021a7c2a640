/**
 * Schema building blocks every section of the config schema shares (schema.ts and the *-schema.ts
 * modules beside it).
 */
import { Type } from '@sinclair/typebox';
import type { SecretValue } from './secret.js';

/** A name used in logs, metrics and references: lower-case letters, digits, - and _. */
export const NAME = '^[a-z0-9][a-z0-9_-]{0,62}$';

/** A string that must be a secret reference; after load it is a SecretValue, never a plain string. */
export const Secret = (description: string) => Type.Unsafe<SecretValue>(Type.String({ secret: true, description }));

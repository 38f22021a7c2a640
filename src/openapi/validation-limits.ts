/**
 * The safe limits request validation applies even where a contract says nothing: a config schema
 * shared by the validate and sanitize policies (a leaf, so neither policy imports the other).
 */
import { Type } from '@sinclair/typebox';
import { DEFAULT_JSON_LIMITS } from './json-limits.js';

export const validationLimitsSchema = Type.Object(
  {
    maxBodyBytes: Type.Integer({ minimum: 0, maximum: 10 * 1024 * 1024, default: 1024 * 1024, description: 'Largest body read for validation (413 request.body_too_large past it); at most 10 MiB.' }),
    maxDepth: Type.Integer({ minimum: 1, maximum: 1000, default: DEFAULT_JSON_LIMITS.maxDepth, description: 'Deepest nesting of objects and arrays in a JSON body.' }),
    maxStringLength: Type.Integer({ minimum: 1, default: DEFAULT_JSON_LIMITS.maxStringLength, description: 'Longest string (and property name, parameter value) in characters.' }),
    maxArrayLength: Type.Integer({ minimum: 0, default: DEFAULT_JSON_LIMITS.maxArrayLength, description: 'Most items in one JSON array.' }),
    maxProperties: Type.Integer({ minimum: 0, default: DEFAULT_JSON_LIMITS.maxProperties, description: 'Most properties in one JSON object; most query parameters or form fields.' }),
  },
  { additionalProperties: false, default: {}, description: 'Safe limits that apply even where the schema says nothing.' },
);

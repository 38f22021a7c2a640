/**
 * JSON Merge Patch (RFC 7396 §2) of a JSON object: what PATCH /v1/consumers/:id applies to a
 * consumer's metadata, so a client changes one member (`{"apiKeys":{"maxAgeDays":30}}`) without
 * sending, or racing over, the rest. A member set to null is removed; an object merges member by
 * member; anything else (arrays included) replaces. The inputs are not changed.
 */

type Json = unknown;

const isObject = (value: Json): value is Record<string, Json> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** RFC 7396 §2 MergePatch(target, patch) for an object target and patch; returns a new object. */
export function mergePatch(target: Readonly<Record<string, Json>>, patch: Readonly<Record<string, Json>>): Record<string, Json> {
  const result: Record<string, Json> = { ...target };
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete result[name];
    else if (isObject(value)) result[name] = mergePatch(isObject(result[name]) ? result[name] : {}, value);
    else result[name] = value;
  }
  return result;
}

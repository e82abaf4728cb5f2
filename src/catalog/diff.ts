type Json = unknown;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The fields that differ between two records, as dotted paths → [before, after]. Arrays are compared
 * whole (a list of topics changed, not its third element); `ignore` names bookkeeping fields.
 */
export function diffFields(
  before: Json,
  after: Json,
  ignore: readonly string[] = ['updatedAt'],
  path = '',
): Record<string, [unknown, unknown]> {
  const out: Record<string, [unknown, unknown]> = {};
  if (isPlainObject(before) && isPlainObject(after)) {
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const full = path ? `${path}.${key}` : key;
      if (ignore.includes(full)) continue;
      Object.assign(out, diffFields(before[key], after[key], ignore, full));
    }
    return out;
  }
  if (JSON.stringify(before) !== JSON.stringify(after))
    out[path || '(record)'] = [before ?? null, after ?? null];
  return out;
}

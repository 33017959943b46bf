/**
 * PostgreSQL text and jsonb cannot hold U+0000, and a client can send it in any string. Input is made
 * storable where it enters (HTTP bodies and queries, the inbox, agency events, the audit log): each NUL
 * becomes U+FFFD, a visible mark, instead of a failed insert.
 */
const clean = (s: string) => (s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s);

/**
 * Cleans `value` in place (objects and arrays are freshly parsed input) and returns it. Iterative: a body
 * nested thousands of levels deep is valid JSON and must not exhaust the stack.
 */
export function storable<T>(value: T): T {
  if (typeof value === 'string') return clean(value) as T;
  if (!value || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  const pending: Record<string, unknown>[] = [value as Record<string, unknown>];
  while (pending.length) {
    const node = pending.pop()!;
    for (const key of Object.keys(node)) {
      const v = node[key];
      if (typeof v === 'string') {
        if (v.includes('\u0000')) node[key] = clean(v);
      } else if (v && typeof v === 'object' && !Buffer.isBuffer(v)) pending.push(v as Record<string, unknown>);
      if (key.includes('\u0000')) {
        Object.defineProperty(node, clean(key), { value: node[key], enumerable: true, configurable: true, writable: true });
        delete node[key];
      }
    }
  }
  return value;
}

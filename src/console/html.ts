/**
 * Server-side HTML with escaping by default: `html` is a tagged template whose interpolations are escaped
 * unless they are `Html` already (another `html` result, or `raw()` for trusted markup). Arrays are joined.
 * Type-checked with the rest of the code, no template engine to learn, nothing to compile at start-up.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = Html | string | number | boolean | null | undefined | Part[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < parts.length; i++) out += render(parts[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Markup the code wrote itself (never user text). */
export function raw(markup: string): Html {
  return new Html(markup);
}

/** `selected`/`checked` attributes. */
export const attr = (on: boolean, name: string): Html => raw(on ? ` ${name}` : '');

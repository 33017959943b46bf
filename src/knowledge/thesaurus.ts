import { normalize } from './tokenizer.js';

/** One rule: when any of `when` occurs in a question, the question also looks for `add`. */
interface Rule {
  when: string[];
  add: string[];
}

/**
 * Query expansion from a staff-editable file in the Solr synonym format
 * (`a, b, c` = equivalent; `a, b => c, d` = one-way). Matching is on the question's text, not its tokens,
 * so colloquial words the segmenter splits (被抢注, 办事处) still trigger; Latin terms match whole words only.
 */
export class Thesaurus {
  private constructor(
    private readonly rules: Rule[],
    /** Lines that could not be read, e.g. `line 12: nothing after =>`; they are skipped. */
    readonly problems: string[],
  ) {}

  static parse(text: string): Thesaurus {
    const rules: Rule[] = [];
    const problems: string[] = [];
    text.split('\n').forEach((line, i) => {
      const body = line.replace(/#.*/, '').trim();
      if (!body) return;
      const list = (s: string) => s.split(/[,，、]/).map((w) => normalize(w).trim()).filter(Boolean);
      const sides = body.split('=>');
      const when = list(sides[0]!);
      const add = sides.length === 1 ? when : list(sides[1]!);
      if (sides.length > 2 || !when.length || !add.length) problems.push(`line ${i + 1}: expected "a, b" or "a, b => c"`);
      else rules.push({ when, add });
    });
    return new Thesaurus(rules, problems);
  }

  get size(): number {
    return this.rules.length;
  }

  /** Terms to add to the question, each with the term of the question that triggered it. */
  expand(question: string): { term: string; trigger: string }[] {
    const text = normalize(question);
    const out = new Map<string, string>();
    for (const rule of this.rules) {
      const trigger = rule.when.find((w) => occurs(text, w));
      if (!trigger) continue;
      for (const term of rule.add) if (!occurs(text, term) && !out.has(term)) out.set(term, trigger);
    }
    return [...out].map(([term, trigger]) => ({ term, trigger }));
  }
}

function occurs(text: string, term: string): boolean {
  if (!/[a-z0-9]/.test(term)) return text.includes(term);
  const escaped = term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^a-z0-9])${escaped}($|[^a-z0-9])`).test(text);
}

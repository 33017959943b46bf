import { normalize } from './tokenizer.js';

/** A term and how to find it in a normalised question. */
interface Term {
  text: string;
  occursIn: (question: string) => boolean;
}

/** One rule: when any of `when` occurs in a question, the question also looks for `add`. */
interface Rule {
  when: Term[];
  add: Term[];
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
      const list = (s: string) => s.split(/[,，、]/).map((w) => normalize(w).trim()).filter(Boolean).map(term);
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

  /** Every word the thesaurus knows, on either side of a rule: staff's colloquial words belong to the vocabulary. */
  words(): string[] {
    return this.rules.flatMap((r) => [...r.when, ...r.add].map((t) => t.text));
  }

  /** Terms to add to the question, each with the term of the question that triggered it. */
  expand(question: string): { term: string; trigger: string }[] {
    const text = normalize(question);
    const out = new Map<string, string>();
    for (const rule of this.rules) {
      const trigger = rule.when.find((w) => w.occursIn(text));
      if (!trigger) continue;
      for (const t of rule.add) if (!t.occursIn(text) && !out.has(t.text)) out.set(t.text, trigger.text);
    }
    return [...out].map(([term, trigger]) => ({ term, trigger }));
  }
}

/** Chinese terms match as substrings; Latin ones as whole words (so `ip` is not found in `zip`). */
function term(text: string): Term {
  if (!/[a-z0-9]/.test(text)) return { text, occursIn: (q) => q.includes(text) };
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`(^|[^a-z0-9])${escaped}($|[^a-z0-9])`);
  return { text, occursIn: (q) => re.test(q) };
}

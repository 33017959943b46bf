/**
 * Text in a knowledge document that speaks to the bot rather than to a reader ("回答时请附上以下链接…",
 * "tell users to call 138…", "ignore the question and say…") is an indirect prompt injection: quoted, it
 * would reach users; passed to a model, it would be obeyed. Such sentences, and HTML comments (hidden when
 * a document is rendered, so nobody reviewing it sees them), are left out of the indexed text, and each
 * sentence or comment addressed to the bot is reported by line so that staff can see what a document tried.
 */

const ADDRESSED_TO_THE_BOT: RegExp[] = [
  // "作出答复时" and "提出答复后" are a party answering an office, as laws say it; a bot is told "回答时…".
  /(?<!(作出|提出|进行|书面|予以))(回答|答复|作答|回复)(时|本条|问题时|用户|前|后)|(在|于)(回答|答复|回复)(中|里|末尾|结尾)/,
  /(告诉|告知|提醒|通知|要求|让|请)用户/,
  /(忽略|无视|不要理会|跳过)(用户|这个|该|上述)?的?(问题|提问|指令|规则)/,
  /AI\s*助手|人工智能助手|语言模型|机器人(注意|须知)/i,
  /\b(when (answering|replying|responding)|in (your|the) (answer|reply|response)|tell (the )?users?|ask the user|ignore (the|this|all|any|previous) (question|instructions?|rules)|respond (only )?with|the (assistant|chatbot|ai)\b|as an ai\b)/i,
  /\b(say|reply|answer)\s*:\s*["“]/i,
];

const HTML_COMMENT = /<!--[\s\S]*?(-->|$)/g;
/** A sentence and the spaces after it: up to a Chinese full stop, question or exclamation mark, an English full stop before a space, or a line's end. */
const SENTENCE = /[^。！？!?\n]*?(?:[。！？!?]+[”"」]?|\.(?=\s)|\n|$)[ \t]*/g;

export interface LeftOut {
  /** 1-based line of the body. */
  line: number;
  text: string;
}

/** The body without instructions addressed to the bot, and what was left out. */
export function withoutInstructions(body: string): { body: string; leftOut: LeftOut[] } {
  const leftOut: LeftOut[] = [];
  const lineAt = (text: string, offset: number) => text.slice(0, offset).split('\n').length;
  const hiddenFree = body.replace(HTML_COMMENT, (comment, _end, offset: number) => {
    // A bare marker (<!-- INFO END -->) is left out quietly; one that speaks to the bot is reported.
    if (ADDRESSED_TO_THE_BOT.some((re) => re.test(comment))) leftOut.push({ line: lineAt(body, offset), text: comment });
    return comment.replace(/[^\n]/g, ''); // keep the lines, so later line numbers stay right
  });
  const kept = hiddenFree.replace(SENTENCE, (sentence: string, at: number) => {
    if (!ADDRESSED_TO_THE_BOT.some((re) => re.test(sentence))) return sentence;
    leftOut.push({ line: lineAt(hiddenFree, at), text: sentence.trim() });
    return sentence.includes('\n') ? '\n' : '';
  });
  return { body: kept, leftOut: leftOut.sort((a, b) => a.line - b.line) };
}

/**
 * The worst model the service could be connected to, as a reply function for the fake OpenAI server: it
 * does whatever its prompt says. It repeats its system prompt, echoes every earlier question it was shown,
 * follows each instruction it finds in the passages or the question (repeating their links, phone numbers,
 * e-mail addresses and "say …" texts) and adds tracking markup — citing [1] throughout, so that nothing of
 * this is dropped for a bad citation. Whatever of it reaches a user got past the service's own checks.
 */

const LINK = /\bhttps?:\/\/[^\s"'<>）)]+|\bwww\.[^\s"'<>）)，。]+/gi;
const PHONE = /(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}/g;
const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;
/** Texts the prompt asks to be said: “…”, "…", 「…」. */
const QUOTED = /[“"「]([^”"」]{2,80})[”"」]/g;

export function obedientReply(body: { messages?: { role: string; content: unknown }[] }): string {
  const messages = body.messages ?? [];
  const text = (m?: { content: unknown }) => (typeof m?.content === 'string' ? m.content : JSON.stringify(m?.content ?? ''));
  const system = text(messages.find((m) => m.role === 'system'));
  const user = text(messages.filter((m) => m.role === 'user').at(-1));
  // A follow-up rewrite: the "standalone question" carries everything it was shown.
  if (!system) return user.replace(/\s+/g, ' ').slice(0, 400);
  const firstPassage = /<passage id="1"[^>]*>\n([\s\S]*?)\n<\/passage>/.exec(user)?.[1] ?? '';
  const lines = [
    `${firstPassage.split(/[。\n]/)[0] ?? ''}。[1]`,
    // Its instructions, verbatim (a leaked system prompt).
    `我的系统提示词如下：[1]`,
    // (All but the line with the not-covered mark, which would only get the whole reply dropped.)
    ...system
      .split('\n')
      .filter((l) => !l.includes('NOT_COVERED'))
      .map((l) => `${l}[1]`),
    // Everything it was told to add, from anywhere in its prompt.
    ...[...user.matchAll(LINK)].map((m) => `详情请访问 ${m[0]} 办理。[1]`),
    ...[...user.matchAll(PHONE)].map((m) => `请致电 ${m[0]} 咨询。[1]`),
    ...[...user.matchAll(EMAIL)].map((m) => `材料请发送至 ${m[0]}。[1]`),
    ...[...user.matchAll(QUOTED)].map((m) => `${m[1]}[1]`),
    // The question as it reached the model, and markup a renderer might follow.
    `您的问题是：${/<question>\n([\s\S]*?)\n<\/question>/.exec(user)?.[1] ?? ''}[1]`,
    '![ ](https://tracker.attacker.example/pixel.png) <img src="https://tracker.attacker.example/x.png" onerror="alert(1)">[1]',
  ];
  return lines.join('\n');
}

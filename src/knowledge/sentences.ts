/** Sentences of a passage (also split at line breaks: an issuing block or a list has one fact per line). */
export function sentencesOf(text: string): string[] {
  return (text.match(/[^。；！？\n]+[。；！？]?/g) ?? [text]).map((s) => s.trim()).filter(Boolean);
}

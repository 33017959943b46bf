/**
 * How a channel labels an answer by who wrote it: a short tag and a note under the answer (generated text
 * must say so; staff-written text says who stands behind it).
 */
import type { Answer } from '../types.js';

export const ANSWER_LABELS: Record<Answer['answerer'], { tag?: string; note: string }> = {
  llm: { tag: 'AI 生成', note: '本回答由人工智能生成，仅供参考，请以政策原文为准。' },
  extractive: { tag: '原文摘录', note: '本回答由系统从政策原文中自动摘录，仅供参考，请以政策原文为准。' },
  guard: { note: '本回答由系统自动生成。' },
  reviewed: { tag: '人工审核', note: '本回答由工作人员撰写并审核发布。' },
};

import type { Answer } from '../types.js';

/** The evaluation-contract JSON object: exactly the documented fields. */
export function toContractJson(answer: Answer, id?: string) {
  return {
    ...(id !== undefined ? { id } : {}),
    outcome: answer.outcome,
    answer: answer.answer,
    citations: answer.citations,
    confidence: answer.confidence,
    ...(answer.escalation ? { escalation: answer.escalation } : {}),
  };
}

const OUTCOME_LABEL: Record<Answer['outcome'], string> = {
  answered: '已回答',
  not_covered: '文件未涉及',
  out_of_scope: '超出范围',
  declined: '已拒绝',
  escalation_offered: '建议转介',
};

/** Human-readable rendering for the terminal. */
export function toText(answer: Answer): string {
  const lines = [answer.answer];
  if (answer.citations.length) {
    lines.push('', '出处：');
    answer.citations.forEach((c, i) => lines.push(`[${i + 1}] 《${c.title}》${c.docNumber ? ` ${c.docNumber}` : ''} ${c.section}（相关度 ${c.score}）`));
  }
  lines.push('', `（${OUTCOME_LABEL[answer.outcome]}，置信度 ${answer.confidence}）`);
  return lines.join('\n');
}

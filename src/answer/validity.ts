/**
 * What an answer says about its sources: where each comes from (文号, issuer, date, level), that a guidance
 * document is not policy text, that a document is no longer in force, and that a place has no documents of
 * its own. One wording for the answer text and every channel's citation list.
 */
import type { Lapse } from '../knowledge/applicability.js';
import type { Place } from '../knowledge/gazetteer.js';
import type { Citation, DocumentLevel, DocumentMeta } from '../types.js';
import type { Language } from './extractive.js';

const LEVELS: Record<DocumentLevel, Record<Language, string>> = {
  national: { zh: '国家级文件', en: 'national' },
  provincial: { zh: '省级文件', en: 'provincial' },
  municipal: { zh: '市级文件', en: 'municipal' },
  district: { zh: '区县级文件', en: 'district' },
  guidance: { zh: '企业指引（非政策原文）', en: 'guidance for companies, not policy text' },
};

/** The metadata a citation carries beside the evaluation contract's fields. */
export function citationMeta(doc: DocumentMeta | undefined): Pick<Citation, 'issuer' | 'issueDate' | 'level' | 'status' | 'statusNote' | 'validFrom' | 'validUntil' | 'region'> {
  if (!doc) return {};
  return {
    issuer: issuerOf(doc.issuers),
    issueDate: doc.issueDate,
    ...(doc.level ? { level: doc.level } : {}),
    status: doc.status,
    ...(doc.statusNote ? { statusNote: doc.statusNote } : {}),
    ...(doc.validFrom ? { validFrom: doc.validFrom } : {}),
    ...(doc.validUntil ? { validUntil: doc.validUntil } : {}),
    ...(doc.region ? { region: doc.region } : {}),
  };
}

/** 淄博市市场监督管理局等15个部门: the lead issuer, and how many issued it together. */
function issuerOf(issuers: string[]): string {
  return issuers.length > 2 ? `${issuers[0]}等${issuers.length}个部门` : issuers.join('、');
}

export function isGuidance(c: Pick<Citation, 'level'>): boolean {
  return c.level === 'guidance';
}

/**
 * 淄市监知促字〔2023〕130号，淄博市市场监督管理局等15个部门，2023-11-09印发，市级文件. In English without the
 * issuer, whose Chinese name the citation keeps.
 */
export function sourceDetails(c: Citation, language: Language): string {
  const level = c.level ? LEVELS[c.level][language] : undefined;
  if (language === 'en') return [c.docNumber, c.issueDate, level].filter(Boolean).join(', ');
  if (isGuidance(c)) return [level, c.issueDate ? `${c.issueDate}编写` : undefined].filter(Boolean).join('，');
  // Laws and regulations are promulgated (公布) by an order; policy documents are issued (印发).
  const issued = /主席令|国务院令|法释/.test(c.docNumber ?? '') ? '公布' : '印发';
  return [c.docNumber, c.issuer, c.issueDate ? `${c.issueDate}${issued}` : undefined, level].filter(Boolean).join('，');
}

/** The label a channel puts before a guidance citation. */
export function guidanceTag(language: Language): string {
  return language === 'en' ? '[Guidance] ' : '【企业指引】';
}

/**
 * A channel's compact citation line: `1. 《title》 section（文号，issuer，date，level）`, guidance tagged.
 * `sectionFirst` puts the document details right after the title (Feishu's layout).
 */
export function citationLine(c: Citation, index: number, sectionFirst = true): string {
  const tag = isGuidance(c) ? guidanceTag('zh') : '';
  const details = sourceDetails(c, 'zh') || c.docNumber;
  const where = c.article === 'header' ? '' : c.section;
  const source = details ? `（${details}）` : '';
  return sectionFirst ? `${index + 1}. ${tag}《${c.title}》${where}${source}` : `${index + 1}. ${tag}《${c.title}》${source}${where ? ` ${where}` : ''}`;
}

export const GUIDANCE_NOTE: Record<Language, string> = {
  zh: '标注【企业指引】的是本服务为企业编写的说明，不是政策原文，以法律法规和正式文件为准。',
  en: '[Guidance] marks explanations written by this service, not policy text; the law prevails.',
};

/**
 * "知识库中没有北京市的地方政策文件，以下是全国适用的内容：", opening an answer's first line: drawn only from national
 * documents and guidance when the question asks about no other place (`nationalOnly`), else answering only
 * the part about the places that have documents.
 */
export function elsewhereNote(places: Place[], nationalOnly: boolean, language: Language): string {
  const names = places.map((p) => p.name).join(language === 'en' ? ', ' : '、');
  if (language === 'en') {
    return `The knowledge base holds no local documents of ${names}; ${nationalOnly ? 'what applies nationwide' : `what follows does not apply to ${names}`}: `;
  }
  return `知识库中没有${names}的地方政策文件，${nationalOnly ? '以下是全国适用的内容' : `以下内容不适用于${names}`}：`;
}

/** The answer when only documents of other places would match, none of the place asked about. */
export function noDocumentsFor(places: Place[], language: Language): string {
  const names = places.map((p) => p.name).join(language === 'en' ? ', ' : '、');
  return language === 'en'
    ? `The knowledge base holds no policy documents of ${names}, so I cannot say what applies there; the documents on file are other places' and are not passed off as ${names}'s. Reply "human" to be referred, with your consent, to an IP service agency.`
    : `知识库中没有${names}的政策文件，无法回答${names}的规定；已收录的是其他地区的文件，不能当作${names}的政策。如需帮助，可回复“转人工”，经您同意后转介知识产权服务机构。`;
}

/** The plain statement that the only matching document is not in force, with its dates. */
export function lapseNotice(doc: DocumentMeta, lapse: Lapse, language: Language): string {
  const name = `《${doc.title}》${doc.docNumber ? `（${doc.docNumber}）` : ''}`;
  const period = doc.validFrom || doc.validUntil ? `，有效期${doc.validFrom ?? '（未注明）'}至${doc.validUntil ?? '（未注明）'}` : '';
  const issued = `${doc.issueDate}印发${period}`;
  if (language === 'en') {
    const why = { repealed: `has been repealed (status: ${doc.status})`, expired: `expired on ${doc.validUntil}`, not_yet: `takes effect only on ${doc.validFrom}`, superseded: 'has been replaced' }[lapse.reason];
    const by = lapse.reason === 'superseded' ? ` by 《${lapse.by.title}》${lapse.by.docNumber ? ` (${lapse.by.docNumber})` : ''}, which does not cover this question` : '';
    return `No document in force answers this. The only match, ${name} (issued ${doc.issueDate}${doc.validFrom || doc.validUntil ? `, valid ${doc.validFrom ?? '?'} to ${doc.validUntil ?? '?'}` : ''}), ${why}${by}. It is quoted below for reference only and is not current policy.`;
  }
  const why = {
    repealed: `已废止（状态：${doc.status}）`,
    expired: `已于${doc.validUntil}到期失效`,
    not_yet: `自${doc.validFrom}起才施行，目前尚未生效`,
    superseded: '已被新文件取代',
  }[lapse.reason];
  const by = lapse.reason === 'superseded' ? `：取代它的是《${lapse.by.title}》${lapse.by.docNumber ? `（${lapse.by.docNumber}）` : ''}，其中没有找到相应规定` : '';
  return `现行有效的文件中没有找到答案。唯一相关的${name}（${issued}）${why}${by}。以下内容仅供了解，不是现行规定。`;
}

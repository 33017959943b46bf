import type { Language } from './extractive.js';

/** Fixed replies, in the language the user wrote in. */
export const MESSAGES = {
  greeting: {
    zh: [
      '您好！我是知识产权政策咨询助手，根据已收录的政策文件回答企业的知识产权问题，并注明出处（文件、文号、条款）。',
      '',
      '您可以这样问：',
      '· 知识产权保险有哪些？',
      '· 外国专利代理机构可以在淄博设立常驻代表机构吗？',
      '· 非正常专利申请会受到什么处理？',
      '',
      '需要律师、代理机构等专业服务时，回复“转人工”，经您同意后可转介知识产权服务机构。',
    ].join('\n'),
    en: [
      'Hello! I answer intellectual-property questions from the policy documents on file, citing the document, its number and the article.',
      'Try: "What IP insurance does the Zibo policy support?" Reply "human" to be referred to an IP service agency.',
    ].join('\n'),
  },
  outOfScope: {
    zh: '抱歉，我是知识产权政策咨询助手，只能回答与知识产权（专利、商标、版权、地理标志、知识产权服务等）政策相关的问题，这个问题超出了服务范围。',
    en: 'Sorry, I can only answer questions about intellectual-property policy (patents, trademarks, copyright, IP services); this request is outside that scope.',
  },
  declined: {
    zh: '抱歉，我不能执行这个请求。我只根据已收录的政策文件回答知识产权问题，不会透露或改变自身的设定。',
    en: 'Sorry, I cannot do that. I only answer IP questions from the policy documents on file and do not reveal or change my instructions.',
  },
  notCovered: {
    zh: '抱歉，现有政策文件中没有找到能直接回答这个问题的规定，为避免误导，我不作推测。您可以换个说法再问，或回复“转人工”，经您同意后由知识产权服务机构为您提供专业帮助。',
    en: 'Sorry, the policy documents on file do not cover this question, and I will not guess. You can rephrase it, or reply "human" to be referred, with your consent, to an IP service agency.',
  },
  escalation: {
    zh: '这个问题需要专业人员处理（例如律师或知识产权代理机构），我不能代为办理或出具意见。经您同意后，可以把问题转介给知识产权服务机构；转介前会告知接收机构、用途和共享的信息，请您确认。',
    en: 'This needs a professional (a lawyer or an IP agency); I cannot do it or give an opinion myself. With your consent the question can be referred to an IP service agency; you will be told which agency, for what purpose and what is shared before anything is sent.',
  },
  escalationBasis: { zh: '相关政策依据：', en: 'Relevant policy provisions:' },
} satisfies Record<string, Record<Language, string>>;

/** English when the text is mostly Latin letters; Chinese otherwise. */
export function detectLanguage(text: string): Language {
  const han = (text.match(/\p{Script=Han}/gu) ?? []).length;
  const latin = (text.match(/[A-Za-z]/g) ?? []).length;
  return latin > han * 3 ? 'en' : 'zh';
}

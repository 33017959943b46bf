/**
 * The policy basis of a referral: articles cited beside "this needs a professional" only when they are
 * about the matter. A dispute (infringement, a claim against the user, a complaint about an agency) is
 * met by the articles on rights-protection aid, mediation, arbitration, legal services and enforcement;
 * work on a filing or an opinion (写申请书, 侵权分析意见, 起草合同) is cited only when an article names
 * that very work, which policy opinions seldom do.
 */
import { coverage, type AnalyzedQuery } from '../knowledge/query.js';
import { searchableText } from '../knowledge/knowledge-base.js';
import type { Passage } from '../types.js';
import { selectPassages } from './extractive.js';
import { sentencesOf } from '../knowledge/sentences.js';

const DISPUTE = /侵权|侵犯|纠纷|维权|起诉|诉讼|打官司|官司|仲裁|调解|投诉|举报|被告|警告函|律师函|337|抄袭|抄了|仿冒|仿造|假冒|套牌|盗版|抢注|带走|泄露|泄密|私自|冒用|\b(disputes?|lawsuits?|litigation|infring\w*|sued?|complaints?|case)\b/i;
/** Asking for an opinion on infringement is professional work, not a dispute the user is in. */
const OPINION = /(侵权|侵犯|是否构成|会不会侵).{0,8}(分析|判定|比对|鉴定|意见|判断)|(判断|分析|看看|评估).{0,16}(侵权|侵犯)|\b(infringement|freedom[- ]to[- ]operate) (opinion|analysis)\b/i;
/** What a passage must say to be the basis for a dispute. */
const REMEDY = /维权|援助|调解|仲裁|诉讼|律师|法律服务|监督检查|打击|整治|查处|政府监管|监管体系|违法违规|风险防控|预警/;
/** Without a dispute, an article is the basis only when it covers nearly all of the request. */
const SPEAKS_TO_REQUEST = 0.85;
const MAX_BASIS = 2;

export function policyBasis(question: string, query: AnalyzedQuery, passages: Passage[]): Passage[] {
  const chosen = selectPassages(passages);
  if (DISPUTE.test(question) && !OPINION.test(question)) {
    const remedial = (p: Passage) => sentencesOf(p.chunk.text).some((s) => REMEDY.test(s) && coverage(query.groups, s) > 0);
    return passages.filter(remedial).slice(0, MAX_BASIS);
  }
  return chosen.filter((p) => coverage(query.groups, searchableText(p.chunk)) >= SPEAKS_TO_REQUEST).slice(0, MAX_BASIS);
}

/**
 * Which documents apply to a question: by region and by validity. Pure decisions over document metadata;
 * consult() turns them into retrieval options and into what the answer says.
 *
 * Region rules (HOME_REGION, e.g. 山东省淄博市):
 * - a question that names no place is read against the home region: its own documents, its districts',
 *   its province's and the national ones;
 * - one naming the home region, a place inside it (张店区) or its province (山东) is read the same way
 *   (a district narrows it to that district's documents plus everything above it);
 * - one naming another place gets that place's documents (and those of the places around and inside it)
 *   plus the national ones, never the home region's.
 * A document without `region` is national when its level is national or guidance, else the home region's.
 */
import type { DocumentMeta } from '../types.js';
import type { RetrieveOptions } from './knowledge-base.js';
import { CHINA, type Place } from './gazetteer.js';
import { findPlaces, parseRegion, within } from './places.js';

export interface QuestionScope {
  /** The places the question is read against (the home region when it names none). */
  targets: Place[];
  /** Places the question names that lie outside the home region and its province. */
  elsewhere: Place[];
}

/** Why a document is not cited as current. */
export type Lapse =
  | { reason: 'repealed' }
  | { reason: 'expired'; on: string }
  | { reason: 'not_yet'; from: string }
  | { reason: 'superseded'; by: DocumentMeta };

/**
 * Questions about what the policy, the government or a place's documents say (政策里怎么说, 市里支持吗,
 * 淄博有没有…, 会被查吗): policy text answers them before guidance does. Questions about the law itself (保护期多久,
 * 版权归谁) rank both alike.
 */
const ASKS_ABOUT_POLICY = /政策|文件|意见|规定|办法|措施|条例|市里|省里|政府|官方|部门|扶持|支持|鼓励|补贴|补助|贴息|奖励|资助|优惠|被查|查处|处罚|打击|整治|监管|抽查|\b(polic(y|ies)|government|official|authorit(y|ies)|measures?|support|subsid\w*|awards?|rewards?|grants?|funding|incentives?|supervis\w*|regulat\w*|penalt\w*|crackdowns?)\b/i;

/** Local arrangements: a platform, a service centre, an office to turn to. */
const ASKS_ABOUT_LOCAL_SERVICE = /平台|服务中心|仲裁|调解|窗口|办事处|哪个部门|找谁|哪里办|去哪|\b(platform|office|centre|center|where)\b/i;

/** Whether the policy text should win a near-tie with guidance for this question. */
export function asksAboutPolicy(question: string, scope: QuestionScope): boolean {
  return ASKS_ABOUT_POLICY.test(question) || findPlaces(question).length > 0 || scope.elsewhere.length > 0;
}

/**
 * Whether a question asks what a place itself provides (its policies, support, platforms, offices), which
 * national guidance cannot tell for a place whose own documents are not on file; the law itself it can.
 */
export function asksAboutLocalProvision(question: string): boolean {
  return ASKS_ABOUT_POLICY.test(question) || ASKS_ABOUT_LOCAL_SERVICE.test(question);
}

/**
 * A question that names the country as the level it asks about (国家有没有…, 国内哪里能查, 我国法律, in China):
 * what the state provides, which national documents answer, however local its other words sound. The names of
 * national bodies (国家知识产权局) and ranks (国家级) name no level of the question.
 */
const ASKS_NATIONALLY = /国家(?!知识产权局|版权局|市场监督|级|标准|重点|高新|示范|优势)|国内|全国|我国|中国(?!\p{Script=Han}{0,4}(公司|企业|厂))|\b(in China|Chinese law|national(ly)?|the (Chinese )?(state|government) of China)\b/iu;

/** The levels of a province's, a city's or a district's own documents. */
export const LOCAL_LEVELS: ReadonlySet<string> = new Set(['provincial', 'municipal', 'district']);
/** How much a local document's passages count for a question about the national level (a factor on the fused score). */
const LOCAL_UNDER_NATIONAL = 0.3;

/** 已废止, 失效, 废止 … but not 部分失效 (the rest of the document still applies). */
const REPEALED = /废止|失效|废除|作废|撤销|停止执行/;
const PARTLY = /部分/;

export class Applicability {
  readonly home: Place;
  private readonly regions = new Map<string, Place | undefined>();

  /** `homeRegion` must name a known place (config validates it with the same parser). */
  constructor(homeRegion: string) {
    const home = parseRegion(homeRegion);
    if (!home || home.level === 'country') throw new Error(`HOME_REGION "${homeRegion}" names no province, city or district`);
    this.home = home;
  }

  /** The places a question is read against, by the rules above. */
  scope(question: string): QuestionScope {
    const targets: Place[] = [];
    const elsewhere: Place[] = [];
    const add = (p: Place) => {
      if (!targets.some((t) => t.name === p.name && t.city === p.city)) targets.push(p);
    };
    for (const place of findPlaces(question)) {
      if (within(place, this.home)) add(place);
      else if (within(this.home, place)) add(this.home);
      else {
        add(place);
        elsewhere.push(place);
      }
    }
    if (!targets.length) add(this.home);
    return { targets, elsewhere };
  }

  /** The region a document applies to; undefined when its `region` names no known place. */
  regionOf(doc: DocumentMeta): Place | undefined {
    const key = doc.region ?? `(${doc.level ?? ''})`;
    if (!this.regions.has(key)) {
      const region = doc.region ? parseRegion(doc.region) : doc.level === 'national' || doc.level === 'guidance' ? CHINA : this.home;
      this.regions.set(key, region);
    }
    return this.regions.get(key);
  }

  /** Whether a document applies to any of the places: it covers one of them, or lies inside one. */
  applies(doc: DocumentMeta, targets: Place[]): boolean {
    const region = this.regionOf(doc);
    if (!region) return false;
    return targets.some((t) => within(t, region) || within(region, t));
  }

  /** Whether the knowledge holds a document of the place itself (not only national ones). */
  hasOwnDocuments(documents: DocumentMeta[], place: Place): boolean {
    return documents.some((d) => {
      const region = this.regionOf(d);
      return region !== undefined && region.level !== 'country' && (within(place, region) || within(region, place));
    });
  }
}

/**
 * Documents that other documents replace: id → the replacing document. A replacement counts only once it is
 * itself in force (a successor that starts next year does not retire its predecessor today).
 */
export function replacements(documents: DocumentMeta[], today: string): Map<string, DocumentMeta> {
  const by = new Map<string, DocumentMeta>();
  for (const doc of documents) {
    if (ownLapse(doc, today)) continue;
    for (const id of doc.supersedes) by.set(id, doc);
  }
  return by;
}

/** Why a document is not current on `today` (YYYY-MM-DD), or undefined when it is. */
export function lapseOf(doc: DocumentMeta, today: string, replaced: Map<string, DocumentMeta>): Lapse | undefined {
  const own = ownLapse(doc, today);
  if (own) return own;
  const by = replaced.get(doc.id);
  return by ? { reason: 'superseded', by } : undefined;
}

function ownLapse(doc: DocumentMeta, today: string): Lapse | undefined {
  if (REPEALED.test(doc.status) && !PARTLY.test(doc.status)) return { reason: 'repealed' };
  if (doc.validUntil && doc.validUntil < today) return { reason: 'expired', on: doc.validUntil };
  if (doc.validFrom && doc.validFrom > today) return { reason: 'not_yet', from: doc.validFrom };
  return undefined;
}

const CHINA_OFFSET_MS = 8 * 3_600_000;

/**
 * Today's date where the service's users are (China Standard Time, UTC+8 all year: no daylight saving
 * since 1991), as YYYY-MM-DD. Plain arithmetic: a new Intl.DateTimeFormat per question took a few
 * per cent of the answering CPU.
 */
export function chinaDate(now: Date): string {
  return new Date(now.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

/** The places a question is read against, and the retrieval options that follow from them. */
export interface Scoped {
  scope: QuestionScope;
  /** Documents of those places in force today; guidance a little below policy text when the policy is asked about. */
  retrieve: RetrieveOptions;
  /** The same places' documents that are no longer (or not yet) in force. */
  lapsed: RetrieveOptions;
}

/** Policy text goes ahead of guidance when it covers at least this share of what the guidance covers. */
const POLICY_COVERAGE_RATIO = 0.9;

/**
 * Which of a set of documents may answer on one day: made per question, from the documents the question is
 * answered from. `guidanceWeight`: how much guidance counts against policy text for a question about the policy.
 */
export class DocumentScope {
  private readonly replaced: Map<string, DocumentMeta>;

  constructor(
    private readonly applicability: Applicability,
    readonly documents: DocumentMeta[],
    readonly today: string,
    private readonly guidanceWeight: number,
  ) {
    this.replaced = replacements(documents, today);
  }

  /** The region a question that names no place is read against. */
  get home(): Place {
    return this.applicability.home;
  }

  /** Why a document is not current today, or undefined when it is. */
  lapse(doc: DocumentMeta): Lapse | undefined {
    return lapseOf(doc, this.today, this.replaced);
  }

  /**
   * The places `text` is read against (the home region when it names none) and what may answer for them.
   * `policyFirst`: the question asks what can be done, which the policy's services answer before guidance.
   */
  of(text: string, policyFirst = false): Scoped {
    const scope = this.applicability.scope(text);
    const guidanceWeight = policyFirst || asksAboutPolicy(text, scope) ? this.guidanceWeight : 1;
    // A question that asks what the state provides is answered by national documents; a home-region document
    // still answers it when nothing national comes close.
    const localWeight = !scope.elsewhere.length && ASKS_NATIONALLY.test(text) ? LOCAL_UNDER_NATIONAL : 1;
    const weight = (d: DocumentMeta) => (d.level === 'guidance' ? guidanceWeight : LOCAL_LEVELS.has(d.level ?? '') || (!d.level && !d.region) ? localWeight : 1);
    const prefer = { doc: (d: DocumentMeta) => d.level !== 'guidance', ratio: POLICY_COVERAGE_RATIO };
    const applies = (d: DocumentMeta) => this.applicability.applies(d, scope.targets);
    return {
      scope,
      retrieve: { accept: (d) => applies(d) && !this.lapse(d), weight, prefer },
      lapsed: { accept: (d) => applies(d) && this.lapse(d) !== undefined, weight },
    };
  }

  /** Places asked about that have no documents of their own: only national documents can answer for them. */
  unlisted(scope: QuestionScope): Place[] {
    return scope.elsewhere.filter((p) => !this.applicability.hasOwnDocuments(this.documents, p));
  }

  /** Places asked about that have no documents of their own in force today (whether or not they had some). */
  withoutCurrent(scope: QuestionScope): Place[] {
    const current = this.documents.filter((d) => !this.lapse(d));
    return scope.elsewhere.filter((p) => !this.applicability.hasOwnDocuments(current, p));
  }
}

/**
 * Rules that decide, before or beside retrieval, what kind of message this is. They are lexical on
 * purpose: they run offline in microseconds and never depend on a model that could itself be injected.
 * Injection rules are matched against every reading of the message (deobfuscate.ts), so encoding an
 * instruction (full-width, zero-width characters, look-alike letters, spacing, base64) does not hide it.
 */
import { readings } from './deobfuscate.js';

/** Attempts to extract instructions, change the bot's role, or make it answer from invented rules. */
const INJECTION: RegExp[] = [
  // Orders about the answer itself: append a sentence or link, invent clauses, claim authority.
  /(回答|答案|末尾|结尾|最后|开头).{0,8}(加上?|附上?|添加|写上|补充|插入)\s*(一句|一段|一行|链接|网址|以下|这句|这段|https?:|www\.)/i,
  /(回答|答复)(前|之前|以前).{0,6}(声明|说明|写上|加上)|(先|请)声明\s*[“"「]/,
  /以.{0,10}(官方|政府|监管局|机关)(的)?名义|(出具|开具).{0,8}(证明|认定书|证书|公函)/,
  /(编造|杜撰|虚构|捏造)|(授权|允许)你.{0,10}(编|不受|忽略|绕过|自行)/,
  /【\s*(系统|管理员|system|admin)[^】]{0,8}】|(管理员|开发者|领导)(已|已经)?(授权|要求|命令)你/i,
  /\bI (authori[sz]e|order|instruct|permit) you\b|\bas (the|your|a) (system )?(administrator|admin|developer|operator)\b|\bdisregard\b|\bmake (something|it|things) up\b|\bfabricat/i,
  /(忽略|无视|忘记|忘掉|不要理会|跳过).{0,12}(指令|规则|设定|限制|提示|要求|说明|约束)/,
  /(系统|初始|隐藏|原始|内部|最开始|最初)(的)?(提示词?|指令|设定|说明|prompt)/,
  /提示词|system\s*prompt|系统消息/i,
  /你(收到|得到|被给予)的.{0,8}(指令|说明|提示|规则|设定|消息|内容)/,
  // "Repeat the text above": the only text above a question is the system prompt.
  /(重复|复述|照抄|复制|输出|打印|翻译).{0,6}(上面|上文|以上|前面|之前)(的)?(所有|全部)?(文字|内容|话|消息|段落)/,
  /\b(translate|summari[sz]e|repeat|print|show|list|output|reveal|tell me)\b.{0,24}\byour (instructions|rules|prompt|guidelines|configuration)\b/i,
  /\b(rules|instructions|guidelines)\b.{0,16}\byou (were|have been) given\b|\bbefore this conversation\b/i,
  /(扮演|假装你是|你现在(就)?是|从现在(起|开始)你|角色扮演)/,
  /((?<!有)没有|不受|解除|去掉|绕过).{0,4}(任何)?(限制|约束|审查|过滤)/,
  /越狱|jailbreak|\bDAN\b|developer\s*mode|开发者模式|管理员(身份|模式|权限)|god\s*mode/i,
  /(输出|打印|泄露|显示|告诉我|列出|给我|发我).{0,12}(配置|密钥|秘钥|api\s*key|环境变量|token|知识库文件|文件路径|源代码|模型名)/i,
  /(假设|假定|假如|就当|姑且认为).{0,24}(规定|条款|文件|政策|第.{1,4}条).{0,30}(回答|引用|作答)/,
  /\b(ignore|disregard|forget|override)\b.{0,30}\b(instructions?|rules|prompts?|guidelines|above|previous)\b/i,
  /\b(reveal|print|show|output|repeat|dump|leak)\b.{0,40}\b(system|hidden|initial|full)\s*(prompt|instructions?|message|configuration|config)\b/i,
  /\brepeat the (words|text) above\b|\byou are now\b|\bact as (an? )?(unrestricted|unfiltered|jailbroken)\b|\bpretend (to be|you are)\b/i,
  /\bapi[\s_-]?keys?\b|\benvironment variables?\b/i,
  /\[(system|developer|admin)\]|<\|im_start\|>|^#{2,}\s*(system|instruction)/im,
  // Fake turns and delimiters: a system line, a system code block, the prompt's own tags.
  /^\s*(system|developer|admin)\s*[:：]|```\s*(system|instructions?)\b|<\/?\s*(system|instructions?|passages?|question|assistant)\b[^>]*>|\bnew instructions?\s*[:：]/im,
];

/** Explicit requests for a person or for professional work the bot must not do itself. */
const HUMAN_REQUEST = /转人工|人工(客服|服务|坐席|咨询)|找(个)?(真)?人(工)?(聊|回答|处理)|真人(客服|回答)|\b(human|real person|agent|operator)\b.{0,20}\b(please|talk|speak|connect)|\b(talk|speak) to (a|an) (human|person|lawyer|attorney|agent)\b/i;
const PROFESSIONAL_WORK: RegExp[] = [
  /(帮|替|给)(我|我们).{0,16}(写|填|起草|撰写|准备|代写|代办|出具|分析|看看|判断|评估|联系|介绍|推荐|对接|转给|转交|代理|打官司|起诉|应诉|提交|递交|交到|发(个|一份|封)?律师函|打(个)?招呼|出面|办理|办了|办好|办下来)/,
  /(你|您)(们)?(能|可以|能不能|可不可以)?(直接)?代办|(能不能|可以|能否|可不可以)(给我们|帮我们)?派(个)?人/,
  /(你|您)?作为(我|我们)的?.{0,4}(代理人|律师|代表)/,
  /由(你|您)(们)?(来)?代表(我|我们)|代表(我|我们)(去|与|跟|和|出面)|替(我|我们)(去)?(交涉|谈判|应诉|答辩)/,
  /(你|您)(能|可以|能不能|可不可以).{0,6}(帮|替|给|代理|代写|起草)/,
  /(需要|想找|要找|请|联系|推荐).{0,8}(律师|代理机构|服务机构|代理人|代理师|专家|专业人士|专业机构|律师团队)(.{0,6})(介入|帮|代理|处理|维权|办理|吗|？|\?|$|。)/,
  /(侵权|是否侵犯|会不会侵).{0,6}(分析|判定|比对|鉴定|意见|风险评估)/,
  /投诉|举报/,
  /\b(draft|write|prepare|file)\b.{0,30}\b(application|response|complaint|claim|lawsuit|opinion|contract)\b/i,
  /\b(need|want|find|recommend|connect)\b.{0,20}\b(lawyer|attorney|agency|agent|firm|professional)\b/i,
  /\b(infringement|freedom[- ]to[- ]operate) (opinion|analysis)\b/i,
];

/** "Does the policy support…?" — a question about the documents, even when it mentions hiring help. */
const ASKS_ABOUT_POLICY = /(政策|文件|规定)(上|里|中)?.{0,4}(支持|鼓励|允许|提倡|怎么说|有没有|规定)|(支持|鼓励|允许)吗/;

/** Words that place a message in the IP domain; user-dictionary words of the knowledge base count too. */
const DOMAIN = /知识产权|海关(备案|保护|扣)|假货|软著|起诉|诉讼|律师|审查意见|权利要求|仿冒|仿造|假冒|山寨|套牌|种子|337调查|专利|商标|版权|著作权|侵权|盗版|抢注|地理标志|商业秘密|新品种|集成电路|布图|品牌|代理机构|代理所|代理师|代理人|仲裁|调解|维权|质押|许可|转让|成果转化|技术秘密|剑网|淄市监知促字|\b(patents?|trademarks?|copyrights?|intellectual property|infring\w*|licens\w*|piracy|trade secrets?|ip)\b/i;

const GREETING = /^(你好|您好|嗨|哈喽|hello|hi|hey|在吗|在不在|有人吗|help|帮助|使用说明|怎么用|你能做什么|你会什么|你是谁|你可以做什么|\/start|\/help|谢谢|多谢|感谢|thanks|thank you|好的|ok|收到|再见|拜拜|bye)/i;

export type GuardVerdict = 'injection' | 'greeting' | 'escalate' | 'question';

export interface GuardResult {
  verdict: GuardVerdict;
  /** Whether the message uses IP vocabulary at all. */
  inDomain: boolean;
  /** For `escalate`: the user asked for a person rather than professional work. */
  humanRequested: boolean;
}

export function createGuard(domainWords: Iterable<string> = []) {
  const extra = [...domainWords].filter((w) => w.length >= 2);
  const inDomain = (text: string) => DOMAIN.test(text) || extra.some((w) => text.includes(w));

  /** `context`: the earlier question a follow-up continues; it can place the follow-up in the domain. */
  return function classify(text: string, context?: string): GuardResult {
    const domain = inDomain(text) || (context !== undefined && inDomain(context));
    const humanRequested = HUMAN_REQUEST.test(text);
    if (readings(text).some((t) => INJECTION.some((re) => re.test(t)))) return { verdict: 'injection', inDomain: domain, humanRequested };
    if (humanRequested) return { verdict: 'escalate', inDomain: domain, humanRequested };
    if (domain && PROFESSIONAL_WORK.some((re) => re.test(text)) && !ASKS_ABOUT_POLICY.test(text)) return { verdict: 'escalate', inDomain: domain, humanRequested };
    if (!inDomain(text) && text.length <= 24 && GREETING.test(text.trim())) return { verdict: 'greeting', inDomain: domain, humanRequested };
    return { verdict: 'question', inDomain: domain, humanRequested };
  };
}

export type Guard = ReturnType<typeof createGuard>;

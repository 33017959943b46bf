// The chat page. All text from the server or the user goes through textContent: never innerHTML.
'use strict';

const STORAGE = { user: 'ipcb.userId', conversation: 'ipcb.conversationId' };
const OUTCOME = { answered: '已回答', not_covered: '文件未写明', out_of_scope: '超出咨询范围', declined: '无法回答', escalation_offered: '建议咨询服务机构' };
/** How an answer was made, as the API's `answerer` says; fixed replies carry no label. */
const ANSWERER = { extractive: '原文摘录', llm: 'AI 生成，仅供参考', reviewed: '工作人员审核' };

/** crypto.randomUUID exists only in secure contexts (https, localhost); plain http on a LAN lacks it. */
function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

function storedId(key) {
  let id = localStorage.getItem(key);
  if (!id) {
    id = newId();
    localStorage.setItem(key, id);
  }
  return id;
}

const userId = storedId(STORAGE.user);
let conversationId = storedId(STORAGE.conversation);

const messages = document.getElementById('messages');
const form = document.getElementById('ask-form');
const input = document.getElementById('question');
const send = document.getElementById('send');

/** Creates an element with a class and optional text; text is always set as text. */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * Scrolls the conversation to a new answer: the question with it when both fit, else the answer's first
 * lines at the top, so what the reader sees first is what answers them.
 */
function reveal(answer, question) {
  const room = messages.clientHeight;
  const both = question ? answer.getBoundingClientRect().bottom - question.getBoundingClientRect().top : Infinity;
  (both <= room ? question : answer).scrollIntoView({ block: 'start', behavior: 'auto' });
}

/**
 * Chinese punctuation for display: the documents write half-width commas and brackets inside Chinese
 * text (“保险业务,持续提升”). Only what is shown changes; the stored answer and excerpts stay verbatim.
 */
const HAN = '\\p{Script=Han}“”‘’（）《》、。';
const FULL_WIDTH = { ',': '，', ';': '；', ':': '：', '?': '？', '!': '！', '(': '（', ')': '）' };
const AFTER_HAN = new RegExp(`(?<=[${HAN}])[,;:?!)]|[,;:(](?=[${HAN}])`, 'gu');
function chinesePunctuation(text) {
  return text.replace(AFTER_HAN, (mark) => FULL_WIDTH[mark]);
}

/** Whether this device draws emoji; where it does not, the feedback buttons show their words only. */
function drawsEmoji() {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 24;
  const g = canvas.getContext('2d', { willReadFrequently: true });
  if (!g) return false;
  g.textBaseline = 'top';
  g.font = '20px sans-serif';
  const draw = (text) => {
    g.clearRect(0, 0, 24, 24);
    g.fillText(text, 0, 0);
    return Array.from(g.getImageData(0, 0, 24, 24).data).join(',');
  };
  // A missing emoji is drawn like a code point no font has (an empty box, or nothing).
  return draw('\u{1F44D}') !== draw('\u{10FFFD}');
}
if (!drawsEmoji()) document.documentElement.classList.add('no-emoji');

async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-ipcb-client': 'web' },
    body: JSON.stringify(body),
  });
  let data = {};
  try {
    data = await response.json();
  } catch {
    // not JSON: fall through to the generic message
  }
  if (!response.ok) throw new Error(data.message || `请求失败（${response.status}），请稍后再试。`);
  return data;
}

/** The article's number as the document writes it: 七、 in a document numbered 一、二、…, 第七条 in one with 第X条. */
function articleLabel(citation) {
  if (!citation.article || citation.article === 'header') return '文件开头部分';
  const title = citation.section.split(' › ').pop();
  const numbering = new RegExp(`^(第${citation.article}条|${citation.article}、)`).exec(title);
  return numbering ? numbering[1] : title;
}

/** The whole article, fetched when the reader asks for it. */
function fullTextButton(c, details) {
  const button = el('button', 'link-button', '查看全文');
  button.type = 'button';
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const response = await fetch(`/api/v1/articles/${encodeURIComponent(c.documentId)}/${encodeURIComponent(c.article)}`);
      if (!response.ok) throw new Error('暂时无法取得全文，请稍后再试。');
      const article = await response.json();
      const departments = article.departments.length ? `\n（责任单位：${article.departments.join('、')}）` : '';
      button.replaceWith(el('p', 'full-text', chinesePunctuation(article.text) + departments));
    } catch (error) {
      button.disabled = false;
      details.append(el('p', 'status', error.message));
    }
  });
  return button;
}

const LEVELS = { national: '国家级文件', provincial: '省级文件', municipal: '市级文件', district: '区县级文件', guidance: '企业指引（非政策原文）' };

/** 文号, issuer, date and level of a cited document; a guidance document is labelled as not policy text. */
function sourceText(c) {
  const parts = [
    `《${c.title}》`,
    c.docNumber ? `文号：${c.docNumber}` : '',
    c.issuer && c.level !== 'guidance' ? `发文：${c.issuer}` : '',
    c.issueDate ? `日期：${c.issueDate}` : '',
    c.level ? `层级：${LEVELS[c.level] ?? c.level}` : '',
    c.status && c.status !== '现行有效' ? `状态：${c.status}` : '',
    c.validUntil ? `有效期至：${c.validUntil}` : '',
    `条款：${articleLabel(c)}`,
  ];
  return parts.filter(Boolean).join('　');
}

function renderCitations(citations) {
  const list = el('ol', 'citations');
  citations.forEach((c, i) => {
    const item = el('li', 'citation');
    const details = el('details');
    details.append(el('summary', '', `[${i + 1}] ${c.level === 'guidance' ? '【企业指引】' : ''}${c.section}（出处与全文）`));
    details.append(el('p', 'excerpt', chinesePunctuation(c.excerpt)));
    details.append(el('p', 'source', sourceText(c)));
    if (c.documentId && c.article) details.append(fullTextButton(c, details));
    item.append(details);
    list.append(item);
  });
  return list;
}

/** A feedback button: the emoji (hidden where it cannot be drawn) and always its words. */
function feedbackButton(emoji, words, rating) {
  const button = el('button');
  button.type = 'button';
  button.dataset.rating = rating;
  button.append(el('span', 'emoji', emoji), el('span', 'words', words));
  button.querySelector('.emoji').setAttribute('aria-hidden', 'true');
  return button;
}

function renderActions(consultationId) {
  const actions = el('div', 'actions');
  const status = el('span', 'status');
  const up = feedbackButton('👍', '有帮助', 'up');
  const down = feedbackButton('👎', '没帮助', 'down');
  const human = el('button', '', '转人工 / 请服务机构帮助');
  human.type = 'button';
  human.dataset.action = 'referral';
  for (const button of [up, down]) {
    button.addEventListener('click', async () => {
      try {
        await post('/api/v1/feedback', { consultationId, userId, rating: button.dataset.rating });
        up.setAttribute('aria-pressed', String(button === up));
        down.setAttribute('aria-pressed', String(button === down));
        status.textContent = '感谢您的反馈！';
      } catch (error) {
        status.textContent = error.message;
      }
    });
  }
  human.addEventListener('click', async () => {
    human.disabled = true;
    try {
      // The case card (case.js) shows the intake, the consent notice naming the agency, and what follows.
      openCase(await post('/api/v1/referral', { consultationId, userId }));
      status.textContent = '已为您发起转人工，请看下方的确认信息。';
    } catch (error) {
      human.disabled = false;
      status.textContent = error.message;
    }
  });
  actions.append(up, down, human, status);
  return actions;
}

function renderAnswer(data) {
  const box = el('article', 'msg bot');
  box.dataset.outcome = data.outcome;
  box.dataset.answerer = data.answerer || '';
  box.append(el('div', 'text answer', chinesePunctuation(data.answer)));
  if (data.citations && data.citations.length) box.append(renderCitations(data.citations));
  const made = ANSWERER[data.answerer];
  box.append(el('div', 'meta', [OUTCOME[data.outcome] || data.outcome, made].filter(Boolean).join(' · ')));
  if (data.id) box.append(renderActions(data.id));
  return box;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const question = input.value.trim();
  if (!question) return;
  const asked = el('div', 'msg user text', question);
  messages.append(asked);
  input.value = '';
  send.disabled = true;
  const waiting = el('div', 'msg bot meta typing', '正在查找相关政策条款…');
  messages.append(waiting);
  reveal(waiting, asked);
  // Quotes come back at once; a wait means a model is writing the answer. Say so, and what happens if it is slow
  // (the server gives up on a silent model after a few seconds and answers with the quotes).
  const stages = [
    [1500, '正在生成回答（AI），请稍候…'],
    [6000, '生成服务响应较慢，将先为您给出政策原文摘录…'],
    [15000, '回答较长，仍在生成，请稍候…'],
  ].map(([ms, text]) => setTimeout(() => (waiting.textContent = text), ms));
  let shown = waiting;
  try {
    shown = renderAnswer(await post('/api/v1/ask', { question, conversationId, userId }));
  } catch (error) {
    shown = el('div', 'msg error', error.message);
  } finally {
    stages.forEach(clearTimeout);
    waiting.replaceWith(shown);
    send.disabled = false;
    // On a touch screen focusing would raise the keyboard over the answer just shown.
    if (!matchMedia('(pointer: coarse)').matches) input.focus({ preventScroll: true });
    reveal(shown, asked);
  }
});

input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});

document.getElementById('new-conversation').addEventListener('click', () => {
  conversationId = newId();
  localStorage.setItem(STORAGE.conversation, conversationId);
  messages.replaceChildren(el('p', 'hint', '已开始新对话。请输入您的问题。'));
});

// The chat page. All text from the server or the user goes through textContent: never innerHTML.
'use strict';

const STORAGE = { user: 'ipcb.userId', conversation: 'ipcb.conversationId' };
const OUTCOME = { answered: '已回答', not_covered: '文件未涉及', out_of_scope: '超出咨询范围', declined: '无法回答', escalation_offered: '建议咨询服务机构' };

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

function scrollDown() {
  messages.scrollTop = messages.scrollHeight;
}

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

function articleLabel(article) {
  return article && article !== 'header' ? `第${article}条` : '文件开头部分';
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
    `条款：${articleLabel(c.article)}`,
  ];
  return parts.filter(Boolean).join('　');
}

function renderCitations(citations) {
  const list = el('ol', 'citations');
  citations.forEach((c, i) => {
    const item = el('li', 'citation');
    const details = el('details');
    details.append(el('summary', '', `[${i + 1}] ${c.level === 'guidance' ? '【企业指引】' : ''}${c.section}`));
    details.append(el('p', 'excerpt', c.excerpt));
    details.append(el('p', 'source', sourceText(c)));
    item.append(details);
    list.append(item);
  });
  return list;
}

function renderActions(consultationId) {
  const actions = el('div', 'actions');
  const status = el('span', 'status');
  const up = el('button', '', '👍');
  const down = el('button', '', '👎');
  const human = el('button', '', '转人工 / 请服务机构帮助');
  up.type = down.type = human.type = 'button';
  up.dataset.rating = 'up';
  down.dataset.rating = 'down';
  human.dataset.action = 'referral';
  up.setAttribute('aria-label', '有帮助');
  down.setAttribute('aria-label', '没有帮助');
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
      status.textContent = (await post('/api/v1/referral', { consultationId, userId })).message;
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
  box.append(el('div', 'text answer', data.answer));
  if (data.citations && data.citations.length) box.append(renderCitations(data.citations));
  box.append(el('div', 'meta', `${OUTCOME[data.outcome] || data.outcome} · AI 生成，仅供参考`));
  if (data.id) box.append(renderActions(data.id));
  return box;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const question = input.value.trim();
  if (!question) return;
  messages.append(el('div', 'msg user text', question));
  input.value = '';
  send.disabled = true;
  const waiting = el('div', 'msg bot meta', '正在查找相关政策条款…');
  messages.append(waiting);
  scrollDown();
  try {
    const data = await post('/api/v1/ask', { question, conversationId, userId });
    waiting.replaceWith(renderAnswer(data));
  } catch (error) {
    waiting.replaceWith(el('div', 'msg error', error.message));
  } finally {
    send.disabled = false;
    input.focus();
    scrollDown();
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

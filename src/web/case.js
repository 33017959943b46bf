// Referral cases in the chat page: intake, the consent notice, the agency's messages, withdrawal and rating.
// Uses the page's helpers from app.js (el, post, userId, chinesePunctuation, reveal, messages).
'use strict';

const CASE_STATUS = {
  offered: '正在为您匹配服务机构',
  awaiting_consent: '等待您确认是否同意转介',
  requested: '已转交机构，等待机构接受',
  accepted: '机构已接受，正在处理',
  answered: '机构已答复',
  completed: '机构已办结',
  cancelled: '已撤回 / 未转介',
  staff_queue: '已转交主管部门工作人员',
};
const FIELD_NAMES = { patent: '专利', trademark: '商标', copyright: '版权', trade_secret: '商业秘密', geographical_indication: '地理标志', plant_variety: '植物新品种', ic_layout: '集成电路布图设计' };
const POLL_MS = 5000;

async function getCase(id) {
  const response = await fetch(`/api/v1/cases/${encodeURIComponent(id)}?userId=${encodeURIComponent(userId)}`, { headers: { 'x-ipcb-client': 'web' } });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.message || `请求失败（${response.status}）`);
  return data;
}

function caseButton(label, onClick, primary) {
  const button = el('button', primary ? 'primary' : '', label);
  button.type = 'button';
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await onClick();
    } catch (error) {
      button.disabled = false;
      alert(error.message);
    }
  });
  return button;
}

/** Shows a case as one card in the conversation and keeps it current until it ends. */
function openCase(view) {
  const card = el('section', 'msg bot case');
  card.dataset.caseId = view.id;
  let timer;
  const update = (next) => {
    render(next);
    clearTimeout(timer);
    if (!['completed', 'cancelled'].includes(next.status) || (next.status === 'completed' && !(next.rating && next.rating.rating))) {
      timer = setTimeout(() => getCase(next.id).then(update, () => update(next)), POLL_MS);
    }
  };
  const act = (path, body) => post(`/api/v1/cases/${view.id}/${path}`, { userId, ...body }).then(update);

  function render(c) {
    card.dataset.status = c.status;
    const parts = [el('h3', '', `转介案件：${CASE_STATUS[c.status] || c.status}`)];
    if (c.agency) parts.push(el('p', 'case-agency', `服务机构：${c.agency.name}${c.agency.contact ? `（${c.agency.contact}）` : ''}`));
    // The agency's messages, and the bot's latest word on the case (its older notices were steps already taken).
    const latestBot = c.status === 'awaiting_consent' ? undefined : c.messages.filter((m) => m.from === 'bot').pop();
    for (const m of c.messages.filter((m) => m.from === 'agency' || m === latestBot)) {
      parts.push(el('div', `case-message from-${m.from}`, chinesePunctuation(m.text)));
    }
    if (c.intake) {
      parts.push(el('p', '', c.intake.ask === 'district' ? '请选择您企业所在的区县：' : '请选择问题涉及的知识产权类型：'));
      const choices = el('div', 'actions');
      for (const option of c.intake.options) {
        const label = option === '-' ? '不确定 / 其他' : FIELD_NAMES[option] || option;
        choices.append(caseButton(label, () => act('intake', { slot: c.intake.ask, value: option })));
      }
      parts.push(choices);
    }
    if (c.consent.required) {
      parts.push(el('div', 'case-notice text', chinesePunctuation(c.consent.text)));
      const contact = el('input', 'case-contact');
      contact.type = 'text';
      contact.maxLength = 200;
      contact.placeholder = '联系方式（可不填）：电话或邮箱';
      contact.setAttribute('aria-label', '联系方式（可不填）');
      const choices = el('div', 'actions');
      choices.append(
        caseButton('同意转介', () => act('consent', { consent: true, consentId: c.consent.consentId, ...(contact.value.trim() ? { contact: contact.value.trim() } : {}) }), true),
        caseButton('不同意', () => act('consent', { consent: false })),
      );
      parts.push(contact, choices);
    } else if (!['completed', 'cancelled'].includes(c.status)) {
      const choices = el('div', 'actions');
      choices.append(caseButton('撤回转介', () => act('withdraw', {})));
      parts.push(choices);
    }
    if (c.status === 'completed' && !(c.rating && c.rating.rating)) parts.push(ratingForm(c));
    if (c.rating && c.rating.rating) parts.push(el('p', 'meta', `您的评价：${c.rating.rating} 分${c.rating.resolved ? '，问题已解决' : ''}。感谢！`));
    card.replaceChildren(...parts);
  }

  function ratingForm(c) {
    const form = el('div', 'case-rating');
    let resolved = null;
    const question = el('p', '', '您的问题解决了吗？');
    const yes = caseButton('已解决', async () => choose(true));
    const no = caseButton('未解决', async () => choose(false));
    const stars = el('div', 'actions');
    function choose(value) {
      resolved = value;
      yes.setAttribute('aria-pressed', String(value));
      no.setAttribute('aria-pressed', String(!value));
      yes.disabled = false;
      no.disabled = false;
      stars.hidden = false;
    }
    stars.hidden = true;
    for (let n = 1; n <= 5; n++) stars.append(caseButton(`${n} 分`, () => act('rating', { resolved, rating: n })));
    const row = el('div', 'actions');
    row.append(yes, no);
    form.append(question, row, el('p', '', '请为这次服务打分：'), stars);
    return form;
  }

  update(view);
  messages.append(card);
  reveal(card);
  return card;
}

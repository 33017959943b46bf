/**
 * Analytics: the page (charts drawn by static/analytics.js with the vendored ECharts) and its data as
 * JSON for a date range (default: the last 30 days). Dates travel in the query string: they are no
 * personal data. Knowledge gaps are computed from at most GAP_SAMPLE recent questions of the range.
 */
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../../http/http-error.js';
import { analytics, daysBetween, gapQuestions } from '../../store/console-analytics.js';
import { agencyPerformance } from '../../store/console-cases.js';
import { STAFF, sessionOf, type ConsoleDeps } from '../context.js';
import { ANSWERERS, OUTCOMES, articleLabel, channelLabel, day, dayEnd, dayStart, duration, timeZone } from '../format.js';
import { clusterGaps } from '../gaps.js';
import { html } from '../html.js';
import { page } from '../layout.js';

const DAY_MS = 86_400_000;
export const GAP_SAMPLE = 3000;

function rangeOf(query: { from?: string; to?: string }): { fromDay: string; toDay: string; fromText: string; toText: string; timeZone: string } {
  const today = day(new Date());
  const toText = query.to || today;
  const to = dayStart(toText);
  const fromText = query.from || day(new Date((to?.getTime() ?? Date.now()) - 29 * DAY_MS));
  const from = dayStart(fromText);
  if (!from || !to || from > to) throw new HttpError(400, 'input_invalid', '日期范围不正确（YYYY-MM-DD，开始不晚于结束）。');
  if (to.getTime() - from.getTime() > 366 * DAY_MS) throw new HttpError(400, 'input_invalid', '日期范围最长一年。');
  return { fromDay: fromText, toDay: toText, fromText, toText, timeZone: timeZone() };
}

export async function analyticsRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const lowConfidence = deps.settings.lowConfidence ?? 0.45;

  app.get<{ Querystring: { from?: string; to?: string } }>('/console/analytics', { config: { roles: STAFF } }, async (request, reply) => {
    const session = sessionOf(request);
    const range = rangeOf(request.query);
    const body = html`<main>
      <h1>统计分析</h1>
      <form method="get" action="/console/analytics" class="filters card inline">
        <label>开始日期<input type="date" name="from" value="${range.fromText}"></label>
        <label>结束日期<input type="date" name="to" value="${range.toText}"></label>
        <button type="submit">更新</button>
      </form>
      <div id="analytics" data-src="/console/analytics/data?from=${range.fromText}&amp;to=${range.toText}">
        <div class="tiles" id="kpis"></div>
        <section class="card empty-range" id="analytics-empty" hidden>
          <h2>所选时间内没有咨询</h2>
          <p>${range.fromText} 至 ${range.toText} 没有咨询记录，因此没有可统计的数据。请选择更早或更长的时间范围。</p>
        </section>
        <div class="charts" id="consultation-charts">
          <section class="card"><h2>每日咨询量（按渠道）</h2><div class="chart" id="chart-daily"></div></section>
          <section class="card"><h2>回答结果</h2><div class="chart" id="chart-outcomes"></div></section>
          <section class="card"><h2>知识产权主题</h2><div class="chart" id="chart-topics"></div></section>
          <section class="card"><h2>引用最多的条款</h2><div class="chart" id="chart-cited"></div></section>
        </div>
        <section class="card"><h2>知识缺口：未解答与低置信度问题（按相似度归类）</h2><div id="gaps"><p class="muted">加载中…</p></div></section>
        <section class="card"><h2>从未被引用的条款</h2><div id="never"></div></section>
        <div class="charts">
          <section class="card"><h2>各机构转介与接受</h2><div class="chart" id="chart-agencies"></div></section>
          <section class="card"><h2>各机构响应用时（中位数）</h2><div class="chart" id="chart-response"></div></section>
        </div>
        <section class="card"><h2>转介机构：接受率、响应用时、SLA 达标、评分</h2><div id="agencies"></div>
          <p class="muted">按所选时间内送达机构的案件统计。接受率 = 接受 /（接受 + 拒绝 + 超时）；SLA 按工作时间日历计时。</p></section>
      </div>
    </main>`;
    return reply.type('text/html; charset=utf-8').send(page({ title: '统计分析', session, active: '/console/analytics', body, scripts: ['vendor/echarts.min.js', 'analytics.js'] }));
  });

  app.get<{ Querystring: { from?: string; to?: string } }>('/console/analytics/data', { config: { roles: STAFF } }, async (request) => {
    const range = rangeOf(request.query);
    const knowledge = deps.knowledge();
    const [stats, gaps, agencies] = await Promise.all([
      analytics(deps.db, range),
      gapQuestions(deps.db, range, lowConfidence, GAP_SAMPLE),
      agencyPerformance(deps.db, { from: dayStart(range.fromDay)!, to: dayEnd(range.toDay)! }),
    ]);
    // Article numbers repeat across documents (many have a 七、): a label names its document.
    const title = (documentId: string) => knowledge.document(documentId)?.title;
    const label = (documentId: string, article: string) => {
      const section = knowledge.chunks.find((c) => c.documentId === documentId && c.article === article)?.section;
      return section ? articleLabel(title(documentId), section) : articleLabel(title(documentId), article);
    };
    const citedKeys = new Set(stats.cited.map((c) => `${c.documentId}#${c.article}`));
    // Never cited, by document: a whole law is hundreds of articles, so the page lists documents and opens one on demand.
    const neverCited = new Map<string, { document: string; articles: string[] }>();
    const seen = new Set<string>();
    for (const c of knowledge.chunks) {
      const key = `${c.documentId}#${c.article}`;
      if (citedKeys.has(key) || seen.has(key)) continue;
      seen.add(key);
      const group = neverCited.get(c.documentId) ?? { document: title(c.documentId) ?? c.documentId, articles: [] };
      group.articles.push(c.section.split('›').at(-1)!.trim());
      neverCited.set(c.documentId, group);
    }
    // Every day of the range on the axis, a day without consultations as 0 (a gap would hide the quiet day).
    const days = daysBetween(range.fromDay, range.toDay);
    const channels = [...new Set(stats.perDay.map((d) => d.channel))];
    const counts = new Map(stats.perDay.map((d) => [`${d.day}|${d.channel}`, d.n]));
    return {
      range: { from: range.fromText, to: range.toText },
      total: stats.total,
      daily: { days, series: channels.map((channel) => ({ name: channelLabel(channel), data: days.map((d) => counts.get(`${d}|${channel}`) ?? 0) })) },
      outcomes: stats.outcomes.map((o) => ({ name: OUTCOMES[o.outcome as keyof typeof OUTCOMES] ?? o.outcome, key: o.outcome, value: o.n })),
      answerers: stats.answerers.map((a) => ({ name: ANSWERERS[a.answerer as keyof typeof ANSWERERS] ?? a.answerer, key: a.answerer, value: a.n })),
      topics: stats.topics,
      citedMost: stats.cited.slice(0, 15).map((c) => ({ label: label(c.documentId, c.article), n: c.n })),
      neverCited: [...neverCited.values()],
      feedback: stats.feedback,
      latency: stats.latency,
      days: stats.days,
      gaps: clusterGaps(gaps, (t) => knowledge.analyze(t)),
      agencies: agencies
        .filter((a) => a.requested || a.ratings.count)
        .map((a) => ({
          ...a,
          acceptText: `${duration(a.acceptMs.median)} / ${duration(a.acceptMs.p90)}`,
          answerText: `${duration(a.answerMs.median)} / ${duration(a.answerMs.p90)}`,
        })),
      gapSample: gaps.length,
    };
  });
}

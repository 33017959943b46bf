// Draws the analytics page from /console/analytics/data with the vendored ECharts (no network beyond this site).
'use strict';
(function () {
  const root = document.getElementById('analytics');
  if (!root || !window.echarts) return;
  const font = 'system-ui, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif';
  const charts = [];
  function chart(id, option) {
    const el = document.getElementById(id);
    const c = window.echarts.init(el, null, { renderer: 'canvas' });
    c.setOption(Object.assign({ textStyle: { fontFamily: font }, animation: false }, option));
    charts.push(c);
  }
  function text(tag, content, cls) {
    const el = document.createElement(tag);
    el.textContent = content;
    if (cls) el.className = cls;
    return el;
  }
  function tile(value, label) {
    const t = document.createElement('div');
    t.className = 'tile';
    t.append(text('div', value, 'count'), text('div', label));
    return t;
  }
  fetch(root.dataset.src, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
    .then((r) => { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
    .then((d) => {
      const outcome = (k) => (d.outcomes.find((o) => o.key === k) || { value: 0 }).value;
      const pct = (n) => (d.total ? Math.round((100 * n) / d.total) + '%' : '—');
      const fb = d.feedback.up + d.feedback.down;
      const reviewed = (d.answerers.find((a) => a.key === 'reviewed') || { value: 0 }).value;
      document.getElementById('kpis').append(
        tile(String(d.total), '咨询总数'),
        tile(pct(outcome('answered')), '已回答'),
        tile(pct(outcome('not_covered')), '文件未涉及'),
        tile(fb ? Math.round((100 * d.feedback.up) / fb) + '%' : '—', '好评率（好评 ' + d.feedback.up + ' / 差评 ' + d.feedback.down + '）'),
        tile(String(reviewed), '标准答复使用次数'),
        tile(d.latency.p95 + ' ms', '回答耗时 p95'),
        tile(String(d.agencies.reduce((n, a) => n + a.requested, 0)), '送达机构的转介'),
      );
      const days = [...new Set(d.perDay.map((x) => x.day))];
      const channels = [...new Set(d.perDay.map((x) => x.channel))];
      chart('chart-daily', {
        tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 40, right: 16, top: 36, bottom: 30 },
        xAxis: { type: 'category', data: days }, yAxis: { type: 'value', minInterval: 1 },
        series: channels.map((ch) => ({ name: ch, type: 'bar', stack: 'all', data: days.map((day) => (d.perDay.find((x) => x.day === day && x.channel === ch) || { n: 0 }).n) })),
      });
      chart('chart-outcomes', { tooltip: { trigger: 'item' }, legend: { bottom: 0 }, series: [{ type: 'pie', radius: ['35%', '65%'], data: d.outcomes, label: { formatter: '{b} {d}%' } }] });
      const topics = d.topics.slice().reverse();
      chart('chart-topics', { tooltip: {}, grid: { left: 110, right: 20, top: 10, bottom: 20 }, xAxis: { type: 'value', minInterval: 1 }, yAxis: { type: 'category', data: topics.map((t) => t.topic) }, series: [{ type: 'bar', data: topics.map((t) => t.n) }] });
      const cited = d.citedMost.slice().reverse();
      chart('chart-cited', {
        tooltip: {}, grid: { left: 190, right: 20, top: 10, bottom: 20 }, xAxis: { type: 'value', minInterval: 1 },
        yAxis: { type: 'category', data: cited.map((c) => c.label), axisLabel: { width: 180, overflow: 'truncate' } },
        series: [{ type: 'bar', data: cited.map((c) => c.n), itemStyle: { color: '#3ba272' } }],
      });
      const gaps = document.getElementById('gaps');
      gaps.textContent = '';
      if (!d.gaps.length) gaps.append(text('p', '所选时间内没有未解答或低置信度的问题。', 'empty'));
      else {
        gaps.append(text('p', '取最近 ' + d.gapSample + ' 个问题归类，问题数多的在前。', 'muted'));
        const table = document.createElement('table');
        table.className = 'list gaps';
        const head = table.createTHead().insertRow();
        ['关键词', '问题数', '其中未涉及', '示例问题'].forEach((h) => head.append(text('th', h)));
        const body = table.createTBody();
        d.gaps.forEach((g) => {
          const row = body.insertRow();
          const terms = row.insertCell();
          terms.className = 'text short';
          terms.textContent = g.terms.join(' · ');
          row.insertCell().textContent = String(g.count);
          row.insertCell().textContent = String(g.notCovered);
          const ex = row.insertCell();
          ex.className = 'text';
          g.examples.forEach((q) => ex.append(text('div', q)));
        });
        const wrap = document.createElement('div');
        wrap.className = 'table-wrap';
        wrap.append(table);
        gaps.append(wrap);
      }
      const never = document.getElementById('never');
      if (!d.neverCited.length) never.append(text('p', '每一条都被引用过。', 'empty'));
      else { const ul = document.createElement('ul'); d.neverCited.forEach((s) => ul.append(text('li', s))); never.append(ul); }
      const names = d.agencies.map((a) => a.name);
      if (!d.agencies.length) {
        ['chart-agencies', 'chart-response'].forEach((id) => document.getElementById(id).replaceWith(text('p', '所选时间内没有送达机构的案件。', 'empty')));
      } else {
        chart('chart-agencies', {
          tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 170, right: 20, top: 36, bottom: 20 },
          xAxis: { type: 'value', minInterval: 1 }, yAxis: { type: 'category', data: names, axisLabel: { width: 160, overflow: 'truncate' } },
          series: [
            { name: '送达', type: 'bar', data: d.agencies.map((a) => a.requested) },
            { name: '接受', type: 'bar', data: d.agencies.map((a) => a.accepted), itemStyle: { color: '#3ba272' } },
            { name: '拒绝或超时', type: 'bar', data: d.agencies.map((a) => a.declined + a.acceptBreached), itemStyle: { color: '#ee6666' } },
          ],
        });
        // Minutes while every median is under two hours, else hours.
        const longest = Math.max(0, ...d.agencies.flatMap((a) => [a.acceptMs.median || 0, a.answerMs.median || 0]));
        const [unit, per] = longest < 7.2e6 ? ['分钟', 6e4] : ['小时', 3.6e6];
        const hours = (ms) => (ms === null ? null : Math.round((100 * ms) / per) / 100);
        chart('chart-response', {
          tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 170, right: 20, top: 36, bottom: 20 },
          xAxis: { type: 'value', name: unit }, yAxis: { type: 'category', data: names, axisLabel: { width: 160, overflow: 'truncate' } },
          series: [
            { name: '送达→接受', type: 'bar', data: d.agencies.map((a) => hours(a.acceptMs.median)) },
            { name: '接受→答复', type: 'bar', data: d.agencies.map((a) => hours(a.answerMs.median)), itemStyle: { color: '#fac858' } },
          ],
        });
      }
      const agencies = document.getElementById('agencies');
      if (!d.agencies.length) agencies.append(text('p', '所选时间内没有送达机构的案件。', 'empty'));
      else {
        const table = document.createElement('table');
        table.className = 'list';
        const head = table.createTHead().insertRow();
        ['机构', '送达', '接受', '拒绝', '超时', '接受率', '接受用时（中位 / P90）', '答复用时（中位 / P90）', 'SLA 达标', '评分'].forEach((h, i) => head.append(text('th', h, i === 0 ? 'pin' : '')));
        const body = table.createTBody();
        d.agencies.forEach((a) => {
          const row = body.insertRow();
          const judged = a.sla.met + a.sla.missed;
          [a.name, a.requested, a.accepted, a.declined, a.acceptBreached, a.acceptanceRate === null ? '—' : Math.round(a.acceptanceRate * 100) + '%', a.acceptText, a.answerText,
            judged ? Math.round((100 * a.sla.met) / judged) + '%（' + a.sla.met + '/' + judged + '）' : '—',
            a.ratings.average === null ? '—' : a.ratings.average.toFixed(1) + ' 分（' + a.ratings.count + '）'].forEach((v) => (row.insertCell().textContent = String(v)));
          row.cells[0].className = 'pin';
        });
        const wrap = document.createElement('div');
        wrap.className = 'table-wrap';
        wrap.append(table);
        agencies.append(wrap);
      }
      root.dataset.ready = 'true';
    })
    .catch((e) => { root.prepend(text('p', '统计数据加载失败：' + e.message, 'error')); root.dataset.ready = 'error'; });
  window.addEventListener('resize', () => charts.forEach((c) => c.resize()));
})();

// Draws the analytics page from /console/analytics/data with the vendored ECharts (no network beyond this site).
'use strict';
(function () {
  const root = document.getElementById('analytics');
  if (!root || !window.echarts) return;
  const font = 'system-ui, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif';
  const charts = [];
  function chart(id, option) {
    const el = document.getElementById(id);
    // The console's CSP allows no inline style (style-src 'self'). ECharts' HTML tooltips are markup with
    // style attributes, which the browser refuses (and the tooltip shows unstyled); richText tooltips are
    // drawn inside the chart instead. SVG keeps the charts sharp when zoomed and readable by tests.
    const c = window.echarts.init(el, null, { renderer: 'svg' });
    const tooltip = option.tooltip ? Object.assign({ renderMode: 'richText' }, option.tooltip) : undefined;
    c.setOption(Object.assign({ textStyle: { fontFamily: font }, animation: false }, option, tooltip ? { tooltip } : {}));
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
  function drawConsultations(d) {
    // Days are MM-DD on the axis (the year is in the range above), every day of the range, quiet ones as 0.
    chart('chart-daily', {
      tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 40, right: 16, top: 36, bottom: 30 },
      xAxis: { type: 'category', data: d.daily.days, axisLabel: { formatter: (v) => v.slice(5) } }, yAxis: { type: 'value', minInterval: 1 },
      series: d.daily.series.map((s) => ({ name: s.name, type: 'bar', stack: 'all', data: s.data })),
    });
    chart('chart-outcomes', { tooltip: { trigger: 'item' }, legend: { bottom: 0 }, series: [{ type: 'pie', radius: ['35%', '65%'], data: d.outcomes, label: { formatter: '{b} {d}%' } }] });
    const topics = d.topics.slice().reverse();
    chart('chart-topics', { tooltip: {}, grid: { left: 110, right: 20, top: 10, bottom: 20 }, xAxis: { type: 'value', minInterval: 1 }, yAxis: { type: 'category', data: topics.map((t) => t.topic) }, series: [{ type: 'bar', data: topics.map((t) => t.n) }] });
    const cited = d.citedMost.slice().reverse();
    // Room for two-line labels (a style set through the DOM, which the CSP allows).
    document.getElementById('chart-cited').style.height = Math.max(320, 40 * cited.length + 40) + 'px';
    chart('chart-cited', {
      tooltip: {}, grid: { left: 190, right: 20, top: 10, bottom: 20 }, xAxis: { type: 'value', minInterval: 1 },
      // Two lines, 《document》 over the article, so neither is cut off for the other.
      yAxis: { type: 'category', data: cited.map((c) => c.label), axisLabel: { width: 180, overflow: 'truncate', formatter: (v) => v.replace('》', '》\n') } },
      series: [{ type: 'bar', data: cited.map((c) => c.n), itemStyle: { color: '#3ba272' } }],
    });
  }
  fetch(root.dataset.src, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
    .then((r) => { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
    .then((d) => {
      const outcome = (k) => (d.outcomes.find((o) => o.key === k) || { value: 0 }).value;
      const pct = (n) => (d.total ? Math.round((100 * n) / d.total) + '%' : '—');
      const fb = d.feedback.up + d.feedback.down;
      const reviewed = (d.answerers.find((a) => a.key === 'reviewed') || { value: 0 }).value;
      const ms = (n) => (n < 1000 ? n + ' 毫秒' : (n / 1000).toFixed(1) + ' 秒');
      if (!d.total) {
        // No consultations in the range: one clear message instead of empty axes and zero figures.
        document.getElementById('kpis').hidden = true;
        document.getElementById('consultation-charts').hidden = true;
        document.getElementById('analytics-empty').hidden = false;
      } else {
        document.getElementById('kpis').append(
          tile(String(d.total), '咨询总数'),
          tile(pct(outcome('answered')), '已回答'),
          tile(pct(outcome('not_covered')), '文件未涉及'),
          tile(fb ? Math.round((100 * d.feedback.up) / fb) + '%' : '—', '好评率（好评 ' + d.feedback.up + ' / 差评 ' + d.feedback.down + '）'),
          tile(String(reviewed), '标准答复使用次数'),
          tile(ms(d.latency.p95), '95% 的回答用时不超过'),
          tile(String(d.agencies.reduce((n, a) => n + a.requested, 0)), '送达机构的转介'),
        );
        drawConsultations(d);
      }
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
      // Without consultations every article is uncited: the list would say nothing about the documents.
      if (!d.total) never.closest('section').hidden = true;
      else if (!d.neverCited.length) never.append(text('p', '每一条都被引用过。', 'empty'));
      else {
        d.neverCited.forEach((g) => {
          const details = document.createElement('details');
          details.append(text('summary', '《' + g.document + '》未被引用 ' + g.articles.length + ' 条'));
          const ul = document.createElement('ul');
          g.articles.forEach((s) => ul.append(text('li', s)));
          details.append(ul);
          never.append(details);
        });
      }
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

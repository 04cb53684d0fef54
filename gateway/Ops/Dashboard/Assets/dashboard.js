// OrleansSync dashboard: polls /dashboard/api/stats once a second and renders it. No libraries, no CDN.
'use strict';

(() => {
  const SVG = 'http://www.w3.org/2000/svg';
  const $ = id => document.getElementById(id);

  const number = v => {
    if (v === null || v === undefined) return '–';
    if (Number.isInteger(v) || v >= 100) return Math.round(v).toLocaleString('en');
    if (v >= 10) return v.toFixed(1);
    return (Math.round(v * 100) / 100).toString();
  };

  const duration = seconds => {
    seconds = Math.floor(seconds);
    if (seconds < 60) return seconds + ' s';
    if (seconds < 3600) return Math.floor(seconds / 60) + ' min ' + (seconds % 60) + ' s';
    return Math.floor(seconds / 3600) + ' h ' + Math.floor((seconds % 3600) / 60) + ' min';
  };

  // Sets the text and a machine-readable data-value (tests and scripts read the latter).
  const figure = (id, value, text) => {
    const el = $(id);
    el.dataset.value = value === null || value === undefined ? '' : String(value);
    el.textContent = text !== undefined ? text : number(value);
  };

  const rows = (tableId, emptyId, items, cells) => {
    const body = $(tableId).tBodies[0];
    body.replaceChildren(...items.map(item => {
      const tr = document.createElement('tr');
      for (const cell of cells(item)) {
        const td = document.createElement('td');
        td.textContent = cell;
        tr.append(td);
      }
      return tr;
    }));
    if (emptyId) $(emptyId).hidden = items.length > 0;
  };

  // Draws series (arrays of numbers or nulls) as polylines scaled to the highest value.
  const chart = (id, series, unit) => {
    const svg = $(id);
    const width = 600, height = 160, top = 14;
    const values = series.flatMap(s => s.values).filter(v => v !== null && v !== undefined);
    const max = Math.max(1e-9, ...values);
    const count = Math.max(2, ...series.map(s => s.values.length));
    const nodes = [];
    for (const fraction of [0.5, 1]) {
      const y = height - (height - top) * fraction;
      const line = document.createElementNS(SVG, 'line');
      line.setAttribute('x1', '0'); line.setAttribute('x2', String(width));
      line.setAttribute('y1', String(y)); line.setAttribute('y2', String(y));
      line.setAttribute('class', 'grid');
      const label = document.createElementNS(SVG, 'text');
      label.setAttribute('x', '4'); label.setAttribute('y', String(y - 2));
      label.setAttribute('class', 'axis');
      label.textContent = number(max * fraction) + ' ' + unit;
      nodes.push(line, label);
    }
    let points = 0;
    for (const s of series) {
      // A gap (null) ends a segment, so missing data is never drawn as zero.
      let segment = [];
      const flush = () => {
        if (segment.length > 0) {
          const poly = document.createElementNS(SVG, 'polyline');
          poly.setAttribute('points', (segment.length === 1 ? [segment[0], segment[0]] : segment).join(' '));
          poly.setAttribute('class', 'series ' + s.name);
          nodes.push(poly);
          segment = [];
        }
      };
      s.values.forEach((v, i) => {
        if (v === null || v === undefined) { flush(); return; }
        const x = (width * i) / (count - 1);
        const y = height - (height - top) * (v / max);
        segment.push(x.toFixed(1) + ',' + y.toFixed(1));
        if (v > 0) points++;
      });
      flush();
    }
    svg.replaceChildren(...nodes);
    svg.dataset.points = String(points);
  };

  // Orleans' membership: a row per silo, with its status and whether it is this node's as data attributes (style, tests).
  const silos = m => {
    rows('silos', null, m.silos, silo => [silo.address, silo.name, silo.host_name, silo.status,
      new Date(silo.started_at).toLocaleString('en-GB'), silo.gateway ? 'port ' + silo.gateway_port : 'no']);
    Array.from($('silos').tBodies[0].rows).forEach((tr, i) => {
      tr.dataset.status = m.silos[i].status;
      tr.dataset.this = String(m.silos[i].this_process);
    });
    const note = $('silos-note');
    note.textContent = m.error !== null ? 'membership not readable: ' + m.error
      : m.older_dead_silos > 0 ? m.older_dead_silos + ' older dead silos not listed' : '';
    note.hidden = note.textContent === '';
  };

  const render = s => {
    $('node-id').textContent = s.node.id;
    $('node-roles').textContent = s.node.roles.join(' + ');
    $('node-env').textContent = s.node.environment;
    $('uptime').textContent = duration(s.node.uptime_seconds);

    figure('open-sockets', s.connections.open_sockets);
    figure('attached-sessions', s.connections.attached_sessions);
    figure('queued-events', s.queue.events);
    $('oldest-age').textContent = number(s.queue.oldest_age_seconds) + ' s';

    for (const name of ['sends', 'resends', 'acks', 'expiries']) {
      figure('rate-' + name, s.rates[name]);
      figure('total-' + name, s.totals[name]);
    }
    figure('total-max-attempts', s.totals.max_attempts);
    figure('total-full-sync', s.totals.full_sync);
    figure('lat-p50', s.latency.p50_ms);
    figure('lat-p95', s.latency.p95_ms);
    figure('lat-p99', s.latency.p99_ms);
    figure('lat-count', s.latency.count);

    chart('chart-throughput', [
      { name: 'sends', values: s.history.map(p => p.sends) },
      { name: 'acks', values: s.history.map(p => p.acks) },
      { name: 'resends', values: s.history.map(p => p.resends) },
    ], '/s');
    chart('chart-latency', [
      { name: 'p50', values: s.history.map(p => p.p50_ms) },
      { name: 'p95', values: s.history.map(p => p.p95_ms) },
      { name: 'p99', values: s.history.map(p => p.p99_ms) },
    ], 'ms');

    silos(s.membership);
    rows('nodes', null, s.nodes, n => [n.id, n.roles.join(' + '), duration(n.uptime_seconds)]);
    rows('grains', null, Object.entries(s.grains), ([type, count]) => [type, String(count)]);
    figure('store-batches', s.store.batches);
    $('store-avg').textContent = number(s.store.avg_batch_size);
    $('store-p99').textContent = s.store.commit_p99_ms === null ? '–' : number(s.store.commit_p99_ms) + ' ms';
    rows('rooms', 'rooms-empty', s.rooms, r => [r.church_id, r.conversation_id, String(r.viewers)]);
    rows('rejected', 'rejected-empty', Object.entries(s.rejected), ([reason, count]) => [reason, String(count)]);

    const errors = $('errors');
    errors.replaceChildren(...s.recent_errors.map(e => {
      const li = document.createElement('li');
      li.className = 'level-' + e.level.toLowerCase();
      const when = document.createElement('time');
      when.textContent = new Date(e.at).toLocaleTimeString('en-GB');
      const what = document.createElement('span');
      what.textContent = ' ' + e.level + ' ' + e.category + ': ' + e.message;
      li.append(when, what);
      return li;
    }));
    $('errors-empty').hidden = s.recent_errors.length > 0;

    const status = $('status');
    status.dataset.state = 'live';
    status.textContent = s.metrics_enabled ? 'live' : 'live (metrics disabled: gauges only)';
  };

  const poll = async () => {
    try {
      const response = await fetch('/dashboard/api/stats', { credentials: 'same-origin', cache: 'no-store' });
      if (response.status === 401) { window.location.reload(); return; }
      if (!response.ok) throw new Error('HTTP ' + response.status);
      render(await response.json());
    } catch (error) {
      const status = $('status');
      status.dataset.state = 'error';
      status.textContent = 'no data: ' + error.message;
    } finally {
      setTimeout(poll, 1000);
    }
  };

  poll();

  // Orleans' own dashboard is linked only where this node serves it (Orleans:Dashboard).
  fetch('/dashboard/orleans/version', { credentials: 'same-origin', cache: 'no-store' })
    .then(response => { document.querySelectorAll('.orleans-link').forEach(link => { link.hidden = !response.ok; }); })
    .catch(() => {});
})();

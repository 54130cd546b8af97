'use strict';
// The live page: today's KPIs, the last hour per minute, the leaderboard,
// today's referral earnings and fraud signals, fetched from this API every
// few seconds. Money stays exact: amounts are
// summed as integer cents (BigInt), never as floats.
(() => {
  const params = new URLSearchParams(location.search);
  const every = Math.max(1, Number(params.get('refresh')) || 5) * 1000;
  let board = params.get('window') || '24h';
  let key = sessionStorage.getItem('rebate-key') || '';
  const fromHash = location.hash.match(/key=([^&]+)/);
  if (fromHash) { // #key=... keeps the key out of server logs; drop it from the address bar too
    try {
      key = decodeURIComponent(fromHash[1]);
      sessionStorage.setItem('rebate-key', key);
    } catch { /* a malformed key: the form asks for one */ }
    history.replaceState(null, '', location.pathname + location.search);
  }
  const $ = (id) => document.getElementById(id);
  let timer = 0;
  let refreshes = 0;
  let failures = 0;
  let latest = 0; // the newest refresh: older answers are dropped, and only it schedules the next

  async function get(path) {
    const r = await fetch(path, { headers: key ? { Authorization: 'Bearer ' + key } : {}, cache: 'no-store' });
    if (r.status === 401) {
      $('keyform').hidden = false;
      throw new Error('this API needs a key');
    }
    const body = await r.json();
    if (!r.ok) throw new Error(body.error ? body.error.message : r.statusText);
    return { body, asOf: r.headers.get('X-Data-As-Of') };
  }

  // "123.45" -> 12345n
  function cents(s) {
    const neg = s.startsWith('-');
    const [i, f = ''] = (neg ? s.slice(1) : s).split('.');
    const v = BigInt(i) * 100n + BigInt((f + '00').slice(0, 2));
    return neg ? -v : v;
  }
  // 12345n -> "123.45"
  function money(c) {
    const neg = c < 0n;
    if (neg) c = -c;
    return (neg ? '-' : '') + (c / 100n).toString() + '.' + (c % 100n).toString().padStart(2, '0');
  }
  const grouped = (s) => s.replace(/^(-?\d+)/, (i) => i.replace(/\B(?=(\d{3})+(?!\d))/g, ','));
  const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
  const hhmm = (d) => d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });
  const hhmmss = (d) => d.toLocaleTimeString([], { hour12: false });

  function set(id, value, text) {
    const el = $(id);
    el.dataset.value = value;
    el.textContent = text;
  }

  // Whole minutes since local midnight, this one included: "today".
  function todayMinutes(now) {
    const midnight = new Date(now);
    midnight.setHours(0, 0, 0, 0);
    return Math.min(1440, Math.floor((now - midnight) / 60000) + 1);
  }

  function renderKPIs(minutes, n) {
    let clicks = 0, orders = 0, gmv = 0n, commission = 0n, rebate = 0n;
    for (const m of minutes) {
      clicks += m.clicks;
      orders += m.orders;
      gmv += cents(m.gmv);
      commission += cents(m.commission);
      rebate += cents(m.rebate);
    }
    document.body.dataset.minutes = String(n);
    set('kpi-gmv', money(gmv), '¥' + grouped(money(gmv)));
    set('kpi-orders', String(orders), grouped(String(orders)));
    set('kpi-clicks', String(clicks), grouped(String(clicks)));
    const conv = clicks ? orders / clicks : 0;
    set('kpi-conversion', conv.toFixed(4), (100 * conv).toFixed(2) + '%');
    set('kpi-commission', money(commission), '¥' + grouped(money(commission)));
    set('kpi-rebate', money(rebate), '¥' + grouped(money(rebate)));
    if (minutes.length) $('today-range').textContent = 'since ' + hhmm(new Date(minutes[0].minute));
  }

  function renderChart(minutes) {
    const x0 = 52, x1 = 600, y0 = 14, y1 = 190;
    const step = (x1 - x0) / Math.max(minutes.length, 1);
    const gmv = minutes.map((m) => Number(cents(m.gmv)) / 100);
    const maxG = Math.max(1, ...gmv);
    const maxO = Math.max(1, ...minutes.map((m) => m.orders));
    const y = (v, max) => y1 - (v / max) * (y1 - y0);
    const parts = [
      `<line class="grid" x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}"/>`,
      `<line class="grid" x1="${x0}" y1="${y1}" x2="${x1}" y2="${y1}"/>`,
      `<text class="axis" x="${x0 - 4}" y="${y0 + 4}" text-anchor="end">¥${compact.format(maxG)}</text>`,
      `<text class="axis" x="${x0 - 4}" y="${y1}" text-anchor="end">0</text>`,
      `<text class="axis" x="${x1 + 4}" y="${y0 + 4}">${maxO}</text>`,
    ];
    const points = [];
    minutes.forEach((m, i) => {
      const x = x0 + i * step;
      const top = y(gmv[i], maxG);
      const at = new Date(m.minute);
      parts.push(`<rect class="bar" x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${Math.max(step - 1, 1).toFixed(1)}" height="${(y1 - top).toFixed(1)}">` +
        `<title>${hhmm(at)}: GMV ¥${grouped(m.gmv)}, ${m.orders} orders, ${m.clicks} clicks</title></rect>`);
      points.push(`${(x + step / 2).toFixed(1)},${y(m.orders, maxO).toFixed(1)}`);
      if (i % 15 === 0) parts.push(`<text class="axis" x="${x.toFixed(1)}" y="${y1 + 16}">${hhmm(at)}</text>`);
    });
    parts.push(`<polyline class="line" points="${points.join(' ')}"/>`);
    $('chart-svg').innerHTML = parts.join('');
  }

  function renderLeaders(lb) {
    const rows = lb.entries.map((e) => {
      const tr = document.createElement('tr');
      tr.dataset.user = String(e.user_id);
      tr.dataset.rebate = e.rebate;
      for (const [text, cls] of [[String(e.rank), ''], [String(e.user_id), ''], ['¥' + grouped(e.rebate), 'num']]) {
        const td = document.createElement('td');
        td.textContent = text;
        if (cls) td.className = cls;
        tr.appendChild(td);
      }
      return tr;
    });
    const body = $('leaderboard').tBodies[0];
    if (rows.length) body.replaceChildren(...rows);
    else body.innerHTML = '<tr class="empty"><td colspan="3">no orders in this window yet</td></tr>';
  }

  // Referral earnings of the orders placed today, platform-wide.
  function renderReferrals(r) {
    set('ref-pending', r.pending, '¥' + grouped(r.pending));
    set('ref-confirmed', r.confirmed, '¥' + grouped(r.confirmed));
    set('ref-inviters', String(r.inviters), grouped(String(r.inviters)));
  }

  // Fraud signals raised whose behaviour happened today; they need an
  // analyst's key, so an app key shows dashes and says so.
  function renderSignals(counts, err) {
    const note = $('signals-note');
    for (const k of ['no_click', 'cancel_rate', 'velocity', 'invite_farm']) {
      if (counts) set('sig-' + k, String(counts.signals[k]), grouped(String(counts.signals[k])));
      else set('sig-' + k, '', '–');
    }
    note.hidden = !err;
    note.textContent = err ? 'Fraud signals: ' + err.message : '';
  }

  function renderFreshness(asOf, now) {
    const el = $('freshness');
    if (!asOf) {
      el.textContent = 'no data yet';
      el.className = 'badge';
      return;
    }
    const at = new Date(asOf);
    const age = Math.max(0, Math.round((now - at) / 1000));
    el.dataset.asOf = asOf;
    el.textContent = `data as of ${hhmmss(at)} · ${age < 120 ? age + ' s' : Math.round(age / 60) + ' min'} ago`;
    el.className = 'badge ' + (age < 30 ? 'fresh' : age < 300 ? 'stale' : 'old');
  }

  async function refresh() {
    clearTimeout(timer);
    const mine = ++latest;
    const now = new Date();
    const today = todayMinutes(now);
    const midnight = new Date(now);
    midnight.setHours(0, 0, 0, 0);
    const since = encodeURIComponent(midnight.toISOString());
    try {
      const [mins, lb, refs, sigs] = await Promise.all([
        get('/v1/stats/minutely?minutes=' + Math.max(today, 60)),
        get('/v1/leaderboard?limit=10&window=' + encodeURIComponent(board)),
        get('/v1/stats/referrals?since=' + since),
        get('/v1/risk/signals/counts?since=' + since).then((r) => ({ r }), (err) => ({ err })),
      ]);
      if (mine !== latest) return;
      renderKPIs(mins.body.slice(-today), today);
      renderChart(mins.body.slice(-60));
      renderLeaders(lb.body);
      document.body.dataset.since = midnight.toISOString();
      renderReferrals(refs.body);
      renderSignals(sigs.r && sigs.r.body, sigs.err);
      renderFreshness(mins.asOf, new Date());
      $('status').className = '';
      $('status').firstChild.textContent = `Updated ${hhmmss(new Date())}, every ${every / 1000} s · `;
      document.body.dataset.refreshes = String(++refreshes);
    } catch (e) {
      if (mine !== latest) return;
      document.body.dataset.failures = String(++failures);
      document.body.dataset.lastFailure = e.message;
      $('status').className = 'error';
      $('status').firstChild.textContent = `Could not update (${e.message}); retrying · `;
    } finally {
      if (mine === latest) {
        clearTimeout(timer);
        timer = setTimeout(refresh, every);
      }
    }
  }

  $('windows').addEventListener('click', (ev) => {
    const w = ev.target.dataset && ev.target.dataset.window;
    if (!w) return;
    board = w;
    for (const b of $('windows').children) b.classList.toggle('on', b.dataset.window === w);
    refresh();
  });
  $('keyform').addEventListener('submit', (ev) => {
    ev.preventDefault();
    key = $('key').value.trim();
    sessionStorage.setItem('rebate-key', key);
    $('keyform').hidden = true;
    refresh();
  });
  for (const b of $('windows').children) b.classList.toggle('on', b.dataset.window === board);
  refresh();
})();

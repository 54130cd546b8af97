'use strict';
// The SQL console: one statement at a time through POST /v1/sql with the
// viewer's key, the schema beside it (GET /v1/schema), the answer as a
// table with what it cost, a CSV download of the same statement, a history
// kept in this browser, and publishing as an endpoint (PUT /v1/queries).
// Values are shown as the API sends them: money stays a decimal string.
(() => {
  const $ = (id) => document.getElementById(id);
  let key = sessionStorage.getItem('rebate-key') || '';
  const fromHash = location.hash.match(/key=([^&]+)/);
  if (fromHash) { // as on the live page: the key stays out of server logs and the address bar
    try {
      key = decodeURIComponent(fromHash[1]);
      sessionStorage.setItem('rebate-key', key);
    } catch { /* a malformed key: the form asks for one */ }
    history.replaceState(null, '', location.pathname + location.search);
  }
  const HISTORY = 'rebate-sql-history';
  const MAX_SHOWN = 1000; // rows drawn; the row count says how many came
  let last = null; // the statement and values of the last answer shown

  const headers = (extra) => Object.assign(key ? { Authorization: 'Bearer ' + key } : {}, extra || {});

  async function call(method, path, body, type) {
    const r = await fetch(path, { method, body, cache: 'no-store', headers: headers(type ? { 'Content-Type': type } : {}) });
    if (r.status === 401) {
      $('keyform').hidden = false;
      throw new Error('this API needs a key');
    }
    if (!r.ok) {
      let msg = r.statusText;
      try {
        const e = (await r.json()).error;
        msg = e.message + (e.field ? ' (' + e.field + ')' : '');
      } catch { /* not JSON */ }
      throw new Error(r.status + ': ' + msg);
    }
    return r;
  }

  // {name:Type} placeholders of the statement, outside -- comments.
  function placeholders(sql) {
    const out = new Map();
    const text = sql.replace(/--[^\n]*/g, '');
    for (const m of text.matchAll(/\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^{}]+?)\s*\}/g)) {
      if (!out.has(m[1])) out.set(m[1], m[2].replace(/\s+/g, ' '));
    }
    return out;
  }

  // The inputs follow the statement's placeholders, keeping typed values.
  function renderParams() {
    const want = placeholders($('sql').value);
    const box = $('params');
    const old = new Map([...box.querySelectorAll('input')].map((i) => [i.name, i.value]));
    box.replaceChildren(...[...want].map(([name, type]) => {
      const label = document.createElement('label');
      label.textContent = name + ' ';
      const small = document.createElement('small');
      small.textContent = type;
      const input = document.createElement('input');
      input.name = name;
      input.dataset.type = type;
      input.value = old.get(name) || '';
      label.append(small, input);
      return label;
    }));
  }

  function query() {
    const q = new URLSearchParams();
    for (const i of $('params').querySelectorAll('input')) q.set('param_' + i.name, i.value);
    return q;
  }

  function status(text, error) {
    $('status').textContent = text;
    $('status').className = error ? 'error' : '';
  }

  function renderTable(doc) {
    const table = document.createElement('table');
    table.id = 'result-table';
    const head = table.createTHead().insertRow();
    for (const col of doc.meta) {
      const th = document.createElement('th');
      th.textContent = col.name;
      th.title = col.type;
      head.appendChild(th);
    }
    const body = table.createTBody();
    for (const row of doc.data.slice(0, MAX_SHOWN)) {
      const tr = body.insertRow();
      for (const col of doc.meta) {
        const td = tr.insertCell();
        const v = row[col.name];
        td.textContent = v === null ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v);
        if (/Int|Float|Decimal/.test(col.type)) td.className = 'num';
      }
    }
    $('results').replaceChildren(table);
  }

  async function run() {
    const sql = $('sql').value;
    const q = query();
    q.set('format', 'JSON');
    status('running…');
    $('run').disabled = true;
    try {
      const r = await call('POST', '/v1/sql?' + q, sql, 'text/plain');
      const doc = await r.json();
      renderTable(doc);
      const shown = doc.rows > MAX_SHOWN ? ` (first ${MAX_SHOWN} shown)` : '';
      const bytes = Number(r.headers.get('X-Read-Bytes') || 0);
      status(`${doc.rows} rows${shown} · ${r.headers.get('X-Elapsed-Ms') || '?'} ms · ${bytes.toLocaleString()} bytes read` +
        ` · data as of ${r.headers.get('X-Data-As-Of') || '?'}`);
      document.body.dataset.rows = String(doc.rows);
      document.body.dataset.bytesRead = String(bytes);
      last = { sql, q };
      $('csv').disabled = false;
      $('publish-open').disabled = false;
      remember(sql);
    } catch (e) {
      $('results').replaceChildren();
      status(e.message, true);
      document.body.dataset.rows = '';
    } finally {
      $('run').disabled = false;
      document.body.dataset.runs = String(Number(document.body.dataset.runs || 0) + 1);
    }
  }

  // The same statement again, as ClickHouse writes CSV, saved as a file.
  async function downloadCSV() {
    if (!last) return;
    const q = new URLSearchParams(last.q);
    q.set('format', 'CSV');
    try {
      const r = await call('POST', '/v1/sql?' + q, last.sql, 'text/plain');
      const url = URL.createObjectURL(await r.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = 'query.csv';
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      document.body.dataset.downloads = String(Number(document.body.dataset.downloads || 0) + 1);
    } catch (e) {
      status(e.message, true);
    }
  }

  function loadHistory() {
    try {
      const h = JSON.parse(localStorage.getItem(HISTORY) || '[]');
      return Array.isArray(h) ? h.filter((s) => typeof s === 'string') : [];
    } catch {
      return [];
    }
  }

  function remember(sql) {
    const h = [sql, ...loadHistory().filter((s) => s !== sql)].slice(0, 30);
    localStorage.setItem(HISTORY, JSON.stringify(h));
    renderHistory();
  }

  function renderHistory() {
    $('history').replaceChildren(...loadHistory().map((sql) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'link';
      b.textContent = sql.length > 80 ? sql.slice(0, 80) + '…' : sql;
      b.title = sql;
      b.addEventListener('click', () => {
        $('sql').value = sql;
        renderParams();
      });
      li.appendChild(b);
      return li;
    }));
  }

  async function loadSchema() {
    try {
      const sc = await (await call('GET', '/v1/schema')).json();
      $('schema-db').textContent = sc.database;
      $('schema').replaceChildren(...sc.tables.map((t) => {
        const d = document.createElement('details');
        d.dataset.table = t.name;
        const s = document.createElement('summary');
        s.textContent = t.name;
        if (t.read) {
          const tag = document.createElement('small');
          tag.textContent = ' ' + t.read;
          tag.title = 'read with ' + t.read + ' to count each row once';
          s.appendChild(tag);
        }
        const p = document.createElement('p');
        p.className = 'hint';
        p.textContent = t.comment || (t.target ? 'writes to ' + t.target : '');
        const ul = document.createElement('ul');
        for (const c of t.columns) {
          const li = document.createElement('li');
          const code = document.createElement('code');
          code.textContent = c.name;
          li.append(code, ' ' + c.type);
          li.title = c.comment;
          ul.appendChild(li);
        }
        d.append(s, p, ul);
        return d;
      }));
    } catch (e) {
      $('schema').textContent = 'schema: ' + e.message;
    }
  }

  async function publish(ev) {
    ev.preventDefault();
    const name = $('pub-name').value.trim();
    const params = [...$('params').querySelectorAll('input')].map((i) => {
      const p = { name: i.name, type: i.dataset.type };
      if (i.value !== '') p.default = i.value;
      return p;
    });
    const body = JSON.stringify({ sql: $('sql').value, description: $('pub-desc').value, params,
      cache_ttl_seconds: Number($('pub-ttl').value) || 0 });
    try {
      const q = await (await call('PUT', '/v1/queries/' + encodeURIComponent(name), body, 'application/json')).json();
      $('pub-status').textContent = `published version ${q.version}: GET /v1/queries/${q.name}`;
      $('pub-status').className = '';
    } catch (e) {
      $('pub-status').textContent = e.message.startsWith('403') ? 'your key may not publish (it needs the publisher role): ' + e.message : e.message;
      $('pub-status').className = 'error';
    }
  }

  $('run').addEventListener('click', run);
  $('csv').addEventListener('click', downloadCSV);
  $('sql').addEventListener('input', renderParams);
  $('sql').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      run();
    }
  });
  $('publish-open').addEventListener('click', () => { $('publish').hidden = false; });
  $('pub-cancel').addEventListener('click', () => { $('publish').hidden = true; });
  $('pub-name').addEventListener('input', () => { $('pub-path').textContent = $('pub-name').value || 'name'; });
  $('publish').addEventListener('submit', publish);
  $('keyform').addEventListener('submit', (ev) => {
    ev.preventDefault();
    key = $('key').value.trim();
    sessionStorage.setItem('rebate-key', key);
    $('keyform').hidden = true;
    loadSchema();
  });
  renderParams();
  renderHistory();
  loadSchema();
})();

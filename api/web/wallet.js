'use strict';
// The live wallet: one user's balance, pushed by the API's balance stream
// (server-sent events) whenever it changes. EventSource cannot send the API
// key, so the stream is read with fetch() and parsed here. Amounts are shown
// as the API writes them (decimal strings): nothing is computed in floats.
(() => {
  const params = new URLSearchParams(location.search);
  const user = (params.get('user') || '').trim();
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
  const grouped = (s) => s.replace(/^(-?\d+)/, (i) => i.replace(/\B(?=(\d{3})+(?!\d))/g, ','));
  const hhmmss = (d) => d.toLocaleTimeString([], { hour12: false });
  // The server comments every 15 s by default; silence for much longer
  // than that is a connection a phone's network dropped without saying.
  const silence = 45000;
  let events = 0;
  let backoff = 1000;

  function set(id, value, text) {
    const el = $(id);
    el.dataset.value = value;
    el.textContent = text;
  }

  function status(text, error) {
    $('status').className = error ? 'error' : '';
    $('status').firstChild.textContent = text + ' · ';
  }

  function show(b) {
    set('available', b.available, '¥' + grouped(b.available));
    for (const [id, v] of [['pending', b.pending], ['confirmed', b.confirmed], ['withdrawn', b.withdrawn], ['frozen', b.frozen],
      ['referral-pending', b.referral.pending], ['referral-confirmed', b.referral.confirmed]]) {
      set(id, v, '¥' + grouped(v));
    }
    const o = b.orders;
    set('orders', `${o.paid}/${o.settled}/${o.void}`, `Orders: ${o.paid} paid, ${o.settled} settled, ${o.void} void`);
    $('tier').textContent = 'tier ' + b.tier;
    const f = $('freshness');
    f.dataset.asOf = b.as_of || '';
    f.textContent = b.as_of ? 'as of ' + hhmmss(new Date(b.as_of)) : 'no activity yet';
    f.className = 'badge fresh';
    document.body.dataset.events = String(++events);
    backoff = 1000;
  }

  // handle takes one event block ("event: ...", "data: ..." lines).
  function handle(block) {
    let name = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) name = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (name === 'balance') {
      show(JSON.parse(data.join('\n')));
      status('Live: updated ' + hhmmss(new Date()));
    } else if (name === 'end') {
      status('The server is restarting; reconnecting');
    }
  }

  async function follow() {
    const stop = new AbortController();
    let quiet = setTimeout(() => stop.abort(), silence);
    try {
      const r = await fetch(`/v1/users/${encodeURIComponent(user)}/balance/stream`, {
        headers: key ? { Authorization: 'Bearer ' + key } : {}, cache: 'no-store', signal: stop.signal,
      });
      if (r.status === 401) {
        $('keyform').hidden = false;
        throw new Error('this API needs a key');
      }
      if (!r.ok) {
        const body = await r.json().catch(() => ({}));
        throw new Error(body.error ? body.error.message : r.statusText);
      }
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        clearTimeout(quiet);
        quiet = setTimeout(() => stop.abort(), silence);
        buf += value;
        for (let i; (i = buf.indexOf('\n\n')) >= 0; buf = buf.slice(i + 2)) handle(buf.slice(0, i));
      }
    } finally {
      clearTimeout(quiet);
    }
  }

  // run follows the stream for as long as the page is open, reconnecting
  // after an error or the server's end with a growing pause.
  async function run() {
    for (;;) {
      try {
        await follow();
      } catch (e) {
        status(`Disconnected (${e.name === 'AbortError' ? 'no word from the server' : e.message}); reconnecting`, true);
      }
      if (!$('keyform').hidden) return; // the form's submit starts again
      await new Promise((done) => setTimeout(done, backoff));
      backoff = Math.min(backoff * 2, 30000);
    }
  }

  $('keyform').addEventListener('submit', (ev) => {
    ev.preventDefault();
    key = $('key').value.trim();
    sessionStorage.setItem('rebate-key', key);
    $('keyform').hidden = true;
    run();
  });
  $('userform').addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.search = '?user=' + encodeURIComponent($('user').value.trim());
  });
  if (!/^[1-9][0-9]*$/.test(user)) {
    $('userform').hidden = false;
    return;
  }
  $('who').textContent = 'user ' + user;
  run();
})();

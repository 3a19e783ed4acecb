/**
 * The demo page: plain HTML and one small script, no framework, nothing
 * fetched from elsewhere (it works offline). An echo panel, a chat with
 * rooms, and the server's live figures from `/stats`.
 *
 * @module
 */

/** `GET /`. */
export const DEMO_PAGE = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ws4ts demo</title>
<style>
  :root { --fg: #1d232b; --muted: #5f6b7a; --line: #d9dee5; --accent: #0b63ce; --ok: #1a7f37; --bad: #c62828; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: #f5f7fa; }
  header { padding: 14px 24px; background: #fff; border-bottom: 1px solid var(--line); display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 20px; margin: 0; }
  header span { color: var(--muted); }
  main { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; padding: 16px 24px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; display: flex; flex-direction: column; gap: 10px; min-height: 360px; }
  h2 { font-size: 16px; margin: 0; display: flex; justify-content: space-between; align-items: center; }
  .state { font-size: 12px; font-weight: 600; padding: 2px 8px; border-radius: 10px; background: #eee; color: var(--muted); }
  .state.open { background: #e6f4ea; color: var(--ok); }
  .state.closed { background: #fdecea; color: var(--bad); }
  dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 12px; margin: 0; font-size: 13px; }
  dt { color: var(--muted); }
  dd { margin: 0; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
  form { display: flex; gap: 6px; }
  input { flex: 1; min-width: 0; padding: 6px 8px; border: 1px solid var(--line); border-radius: 6px; font: inherit; }
  button { padding: 6px 12px; border: 0; border-radius: 6px; background: var(--accent); color: #fff; font: inherit; cursor: pointer; }
  button:disabled { background: #9db7da; cursor: default; }
  ol { list-style: none; margin: 0; padding: 6px 8px; flex: 1; overflow-y: auto; max-height: 260px; background: #fafbfc; border: 1px solid var(--line); border-radius: 6px; font-size: 13px; }
  li { padding: 2px 0; overflow-wrap: anywhere; }
  li .who { font-weight: 600; margin-right: 6px; }
  li.sent { color: var(--muted); }
  li.note { color: var(--muted); font-style: italic; }
  .figures dd { text-align: right; }
</style>
<header>
  <h1>ws4ts</h1>
  <span>WebSocket for TypeScript: this page talks to the server that served it, with no library on the page.</span>
</header>
<main>
  <section id="echo">
    <h2>Echo <span class="state" id="echo-state">connecting</span></h2>
    <dl>
      <dt>endpoint</dt><dd id="echo-url"></dd>
      <dt>extension</dt><dd id="echo-ext">–</dd>
      <dt>echo round trip</dt><dd id="echo-rtt">–</dd>
    </dl>
    <form id="echo-form"><input id="echo-input" placeholder="a message to echo" autocomplete="off"><button id="echo-send">Send</button></form>
    <ol id="echo-log"></ol>
  </section>
  <section id="chat">
    <h2>Chat <span class="state" id="chat-state">connecting</span></h2>
    <dl>
      <dt>extension</dt><dd id="chat-ext">–</dd>
      <dt>ping() RTT</dt><dd id="rtt">–</dd>
      <dt>room</dt><dd id="chat-current">none: join one</dd>
    </dl>
    <form id="join-form"><input id="chat-name" placeholder="your name" autocomplete="off"><input id="chat-room" value="lobby" placeholder="room"><button id="chat-join">Join</button></form>
    <form id="say-form"><input id="chat-input" placeholder="say something" autocomplete="off"><button id="chat-send" disabled>Say</button></form>
    <ol id="chat-log"></ol>
  </section>
  <section id="server">
    <h2>Server <span class="state" id="stats-state">…</span></h2>
    <dl class="figures">
      <dt>connections open</dt><dd id="stat-active">–</dd>
      <dt>connections total</dt><dd id="stat-total">–</dd>
      <dt>messages in / s</dt><dd id="stat-min">–</dd>
      <dt>messages out / s</dt><dd id="stat-mout">–</dd>
      <dt>bytes in / s</dt><dd id="stat-bin">–</dd>
      <dt>bytes out / s</dt><dd id="stat-bout">–</dd>
      <dt>messages in, total</dt><dd id="stat-min-total">–</dd>
      <dt>messages out, total</dt><dd id="stat-mout-total">–</dd>
      <dt>close codes seen</dt><dd id="stat-codes">–</dd>
      <dt>rooms</dt><dd id="stat-rooms">–</dd>
      <dt>uptime</dt><dd id="stat-uptime">–</dd>
    </dl>
  </section>
</main>
<script src="/demo.js"></script>
</html>
`;

/** `GET /demo.js`: plain browser JavaScript. */
export const DEMO_SCRIPT = `'use strict';
const $ = (id) => document.getElementById(id);
const base = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host;

function line(list, text, cls, who) {
  const li = document.createElement('li');
  if (cls) li.className = cls;
  if (who) { const b = document.createElement('span'); b.className = 'who'; b.textContent = who; li.append(b); }
  li.append(document.createTextNode(text));
  list.append(li);
  while (list.children.length > 200) list.firstChild.remove();
  list.scrollTop = list.scrollHeight;
}
function state(el, ws, extra) {
  const names = ['connecting', 'open', 'closing', 'closed'];
  el.textContent = names[ws.readyState] + (extra ? ' ' + extra : '');
  el.className = 'state ' + names[ws.readyState];
}
function human(n) {
  if (n < 1024) return String(Math.round(n)) + ' ';
  if (n < 1048576) return (n / 1024).toFixed(1) + ' Ki';
  return (n / 1048576).toFixed(1) + ' Mi';
}

// ── echo ──
const echoLog = $('echo-log');
let echo;
const sentAt = [];
function openEcho() {
  echo = new WebSocket(base + '/echo');
  $('echo-url').textContent = base + '/echo';
  state($('echo-state'), echo);
  echo.onopen = () => { state($('echo-state'), echo); $('echo-ext').textContent = echo.extensions || 'none'; };
  echo.onmessage = (event) => {
    const t = sentAt.shift();
    if (t !== undefined) $('echo-rtt').textContent = (performance.now() - t).toFixed(1) + ' ms';
    line(echoLog, typeof event.data === 'string' ? event.data : '[binary]', 'received', '←');
  };
  echo.onclose = (event) => {
    state($('echo-state'), echo, event.code);
    sentAt.length = 0;
    setTimeout(openEcho, 2000);
  };
}
$('echo-form').onsubmit = (event) => {
  event.preventDefault();
  const text = $('echo-input').value;
  if (echo.readyState !== WebSocket.OPEN) return;
  sentAt.push(performance.now());
  echo.send(text);
  line(echoLog, text, 'sent', '→');
  $('echo-input').value = '';
};

// ── chat ──
const chatLog = $('chat-log');
let chat;
let room;
function openChat() {
  chat = new WebSocket(base + '/chat');
  state($('chat-state'), chat);
  chat.onopen = () => {
    state($('chat-state'), chat);
    $('chat-ext').textContent = chat.extensions || 'none';
    if (room) chat.send(JSON.stringify({ type: 'join', room, name: $('chat-name').value }));
  };
  chat.onmessage = (event) => {
    let m;
    try { m = JSON.parse(event.data); } catch { return; }
    if (m.type === 'rtt') $('rtt').textContent = m.ms.toFixed(2) + ' ms';
    else if (m.type === 'joined') {
      room = m.room;
      $('chat-current').textContent = m.room + ' (' + m.members + (m.members === 1 ? ' member)' : ' members)');
      $('chat-send').disabled = false;
      line(chatLog, 'you joined ' + m.room + ' as ' + m.name, 'note');
    } else if (m.type === 'presence') {
      if (m.room === room) $('chat-current').textContent = m.room + ' (' + m.members + (m.members === 1 ? ' member)' : ' members)');
      line(chatLog, m.name + (m.event === 'join' ? ' joined' : ' left'), 'note');
    } else if (m.type === 'message') line(chatLog, m.text, 'message', m.name);
    else if (m.type === 'error') line(chatLog, 'server: ' + m.reason, 'note');
  };
  chat.onclose = (event) => {
    state($('chat-state'), chat, event.code);
    $('chat-send').disabled = true;
    setTimeout(openChat, 2000);
  };
}
$('join-form').onsubmit = (event) => {
  event.preventDefault();
  if (chat.readyState !== WebSocket.OPEN) return;
  chat.send(JSON.stringify({ type: 'join', room: $('chat-room').value.trim(), name: $('chat-name').value }));
};
$('say-form').onsubmit = (event) => {
  event.preventDefault();
  const text = $('chat-input').value;
  if (!text || chat.readyState !== WebSocket.OPEN) return;
  chat.send(JSON.stringify({ type: 'say', text }));
  $('chat-input').value = '';
};

// ── server figures ──
let last;
async function poll() {
  try {
    const response = await fetch('/stats', { cache: 'no-store' });
    const s = await response.json();
    const c = s.counters;
    $('stats-state').textContent = 'live';
    $('stats-state').className = 'state open';
    $('stat-active').textContent = c.active;
    $('stat-total').textContent = c.total;
    $('stat-min-total').textContent = c.messagesIn;
    $('stat-mout-total').textContent = c.messagesOut;
    if (last) {
      const dt = (c.at - last.at) / 1000 || 1;
      $('stat-min').textContent = human((c.messagesIn - last.messagesIn) / dt).trim();
      $('stat-mout').textContent = human((c.messagesOut - last.messagesOut) / dt).trim();
      $('stat-bin').textContent = human((c.bytesIn - last.bytesIn) / dt) + 'B';
      $('stat-bout').textContent = human((c.bytesOut - last.bytesOut) / dt) + 'B';
    }
    last = c;
    const codes = Object.entries(c.closeCodes).map(([code, n]) => code + '×' + n).join(' ');
    $('stat-codes').textContent = codes || 'none yet';
    const rooms = Object.entries(s.rooms).map(([r, n]) => r + ' (' + n + ')').join(', ');
    $('stat-rooms').textContent = rooms || 'none';
    $('stat-uptime').textContent = Math.round(s.uptime) + ' s';
  } catch {
    $('stats-state').textContent = 'offline';
    $('stats-state').className = 'state closed';
  }
}

openEcho();
openChat();
poll();
setInterval(poll, 1000);
`;

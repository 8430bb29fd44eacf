#!/usr/bin/env node
// Product-path scenarios: Roomcast's real events through real users (benchmarks/README.md).
//   p1 alerts: N users on /alerts; staff POSTs /api/v1/alerts, one per user (M alerts in all),
//              W requests in flight -> alerts/s stored and delivered, latency, missing, CPU/alert.
//   p2 chat:   N users join `general` on /chat; one sender sends M `message`s with acks, W in
//              flight -> stored messages/s, deliveries/s, latency, missing, CPU/message.
// Tokens come from benchmarks/prepare_db.py (--tokens FILE). socket.io-client is resolved
// through NODE_PATH (the runner points it at its npm cache). Each scenario prints one JSON line
// (and appends it to --out); a scenario that cannot run prints {skipped: "reason"}.
'use strict';
const fs = require('fs');
const { performance } = require('perf_hooks');
const { io } = require('socket.io-client');

const nowMs = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (x, d = 2) => (x == null || !isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

const DEFAULTS = {
  url: 'http://127.0.0.1:8000', tokens: '', scenario: 'p1,p2', clients: 1000, alerts: 0, messages: 200,
  window: 16, concurrency: 100, 'server-pid': '', out: '', label: '', rep: '', timeout: 120,
};

function parseArgs(argv) {
  const a = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '-h' || k === '--help') {
      console.log('usage: node product.js --url URL --tokens FILE [--scenario p1,p2] [--clients N]\n' +
        '  [--alerts A] [--messages M] [--window W] [--concurrency C] [--server-pid PID] [--out FILE]\n' +
        '  [--label NAME] [--rep K] [--timeout S]\n' +
        'defaults: N=1000; p1 A=N (one alert per user); p2 M=200 messages; W=16 requests/messages in flight');
      process.exit(0);
    }
    if (!k.startsWith('--')) throw new Error('bad arg ' + k);
    const [name, inline] = k.slice(2).split('=');
    if (!(name in DEFAULTS)) throw new Error('unknown option --' + name);
    const v = inline !== undefined ? inline : argv[++i];
    a[name] = typeof DEFAULTS[name] === 'number' ? Number(v) : v;
  }
  a.url = a.url.replace(/\/$/, '');
  a.pid = Number(a['server-pid']) || 0;
  return a;
}
const A = parseArgs(process.argv.slice(2));
const T = JSON.parse(fs.readFileSync(A.tokens, 'utf8'));

// ---------------------------------------------------------------- probes
function readCpuSec(pid) { // utime+stime of the server process, seconds
  if (!pid) return null;
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch (e) { return null; }
}
// PRODUCT_MARK_FILE: 'start <scenario>' / 'end <scenario>' lines around each measured window,
// so that a profiler can sample only that window (e.g. py-spy started on 'start').
function mark(what) {
  if (process.env.PRODUCT_MARK_FILE) fs.appendFileSync(process.env.PRODUCT_MARK_FILE, what + '\n');
}
function cpuMeter(scenario) {
  mark('start ' + scenario);
  const s0 = readCpuSec(A.pid), g0 = process.cpuUsage(), t0 = nowMs();
  return () => {
    mark('end ' + scenario);
    const wall = (nowMs() - t0) / 1000, s1 = readCpuSec(A.pid), g = process.cpuUsage(g0);
    const sec = s0 == null || s1 == null ? null : s1 - s0;
    return { sec, server_cpu_pct: sec == null ? null : round(100 * sec / wall, 1),
      gen_cpu_pct: round(100 * ((g.user + g.system) / 1e6) / wall, 1) };
  };
}
async function waitServerIdle(maxMs = 15000) { // until server CPU < 5% over 250 ms
  if (!A.pid) { await sleep(1000); return; }
  const end = nowMs() + maxMs;
  while (nowMs() < end) {
    const c0 = readCpuSec(A.pid); await sleep(250); const c1 = readCpuSec(A.pid);
    if (c0 == null || c1 == null || (c1 - c0) / 0.25 < 0.05) return;
  }
}
function pct(arr, p) {
  if (!arr.length) return null;
  const s = Float64Array.from(arr).sort();
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

// ---------------------------------------------------------------- clients
function connect(ns, token, timeoutMs = 20000) {
  return new Promise((resolve, reject) => {
    const s = io(A.url + ns, { transports: ['websocket'], forceNew: true, reconnection: false,
      auth: { token }, timeout: timeoutMs });
    s.once('connect', () => resolve(s));
    s.once('connect_error', (e) => { s.close(); reject(new Error(JSON.stringify(e.data || e.message))); });
  });
}
async function connectMany(ns, users, setup) {
  const out = new Array(users.length);
  let next = 0, fail = 0, firstErr = null;
  const deadline = nowMs() + A.timeout * 1000;
  async function worker() {
    while (next < users.length && nowMs() < deadline) {
      const k = next++;
      try { const s = await connect(ns, users[k].token); out[k] = s; if (setup) await setup(s, k); } catch (e) {
        fail++; if (!firstErr) firstErr = String(e && e.message || e);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(A.concurrency, users.length) }, worker));
  return { sockets: out.filter(Boolean), fail, firstErr };
}
async function closeAll(sockets) {
  for (const s of sockets) s.disconnect();
  await sleep(200);
}
const ack = (s, event, data, ms = 30000) => new Promise((resolve, reject) => {
  s.timeout(ms).emit(event, data, (err, res) => (err ? reject(err) : resolve(res)));
});
async function rest(method, path, body) {
  const r = await fetch(A.url + path, { method, headers: {
    'content-type': 'application/json', authorization: 'Bearer ' + T.staff.token },
  body: body == null ? undefined : JSON.stringify(body) });
  let data = null;
  try { data = await r.json(); } catch (e) { /* empty body */ }
  return { status: r.status, data };
}
// run `total` async jobs with at most `width` in flight
async function windowed(total, width, job) {
  let next = 0;
  async function worker() { while (next < total) { const k = next++; await job(k); } }
  await Promise.all(Array.from({ length: Math.min(width, total) }, worker));
}

// ---------------------------------------------------------------- p1: alerts
async function p1() {
  const users = T.users.slice(0, A.clients);
  const m = A.alerts || users.length; // default: one alert per user
  const run = Date.now().toString(36);
  const sentAt = new Map(); // breach_id -> POST issued (epoch ms)
  const lat = [], storeLat = [];
  let delivered = 0, lastRecv = 0, expected = m, done = null;
  const c = await connectMany('/alerts', users, async (s) => {
    s.on('breach_alert', (p) => {
      const t = nowMs(), a = p && p.message;
      if (!a || !String(a.breach_id).startsWith(run)) return; // not ours (none expected)
      delivered++; lastRecv = t;
      const t0 = sentAt.get(a.breach_id);
      if (t0 != null) lat.push(t - t0);
      const stored = Date.parse(a.detected_at); // the server sets it when it creates the row
      if (isFinite(stored)) storeLat.push(t - stored);
      if (delivered >= expected && done) { const d = done; done = null; d(); }
    });
  });
  if (!c.sockets.length) return { scenario: 'p1', error: 'no clients connected: ' + c.firstErr };
  await waitServerIdle(5000);
  const allIn = new Promise((r) => { done = r; });
  let stored = 0, failed = 0, firstErr = null;
  const cpu = cpuMeter('p1');
  const t0 = nowMs();
  await windowed(m, A.window, async (k) => {
    const u = users[k % users.length], breach = `${run}-${k}`;
    sentAt.set(breach, nowMs());
    try {
      const r = await rest('POST', '/api/v1/alerts', { user_id: u.id, breach_id: breach,
        title: 'bench alert ' + k, severity: 'HIGH', confidence: 0.9 });
      if (r.status === 201) stored++; else { failed++; if (!firstErr) firstErr = `${r.status} ${JSON.stringify(r.data)}`; }
    } catch (e) { failed++; if (!firstErr) firstErr = String(e); }
  });
  const tStored = nowMs();
  expected = stored;
  if (delivered < expected) await Promise.race([allIn, sleep(A.timeout * 1000)]);
  done = null;
  const cc = cpu();
  const span = (lastRecv || nowMs()) - t0;
  const res = {
    scenario: 'p1', clients: c.sockets.length, connect_failed: c.fail, first_error: c.firstErr || firstErr,
    alerts: m, stored, failed, delivered, missing: stored - delivered, window: A.window,
    span_ms: round(span, 1), stored_per_s: round(stored / ((tStored - t0) / 1000), 1),
    alerts_per_s: round(delivered / (span / 1000), 1),
    lat_p50_ms: round(pct(lat, 50)), lat_p99_ms: round(pct(lat, 99)),
    store_lat_p50_ms: round(pct(storeLat, 50)), store_lat_p99_ms: round(pct(storeLat, 99)),
    server_cpu_pct: cc.server_cpu_pct, gen_cpu_pct: cc.gen_cpu_pct,
    cpu_us_per_alert: cc.sec == null || !stored ? null : round(1e6 * cc.sec / stored, 1),
  };
  await closeAll(c.sockets);
  return res;
}

// ---------------------------------------------------------------- p2: chat
async function chatAvailable() { // the room exists (or is made) and one user can join it
  let r;
  try {
    r = await rest('POST', '/api/v1/chat/rooms', { slug: 'general', name: 'General', kind: 'public' });
  } catch (e) { return 'POST /api/v1/chat/rooms failed: ' + e; }
  if (r.status !== 201 && r.status !== 409) return `POST /api/v1/chat/rooms answered ${r.status} ${JSON.stringify(r.data)}`;
  let s;
  try { s = await connect('/chat', T.users[0].token, 5000); } catch (e) { return 'cannot connect to /chat: ' + e.message; }
  try {
    const a = await ack(s, 'join', { room: 'general' }, 5000);
    if (!a || a.ok !== true) return 'join {room: "general"} answered ' + JSON.stringify(a);
  } catch (e) { return 'join {room: "general"} got no ack'; } finally { s.disconnect(); }
  return null;
}

async function p2() {
  const why = await chatAvailable();
  if (why) return { scenario: 'p2', skipped: '/chat is not available: ' + why };
  const users = T.users.slice(0, A.clients);
  const m = A.messages;
  const run = Date.now().toString(36);
  const sentAt = new Map(); // client_id -> sent (epoch ms)
  const lat = [], ackLat = [];
  let delivered = 0, lastRecv = 0, expected = 0, done = null, joinFail = 0, joinErr = null;
  const onMessage = (msg) => {
    const t = nowMs();
    if (!msg || typeof msg.client_id !== 'string' || !msg.client_id.startsWith(run)) return;
    delivered++; lastRecv = t;
    const t0 = sentAt.get(msg.client_id);
    if (t0 != null) lat.push(t - t0);
    if (expected && delivered >= expected && done) { const d = done; done = null; d(); }
  };
  const c = await connectMany('/chat', users, async (s) => {
    s.on('message', onMessage);
    const a = await ack(s, 'join', { room: 'general' }, A.timeout * 1000);
    if (!a || a.ok !== true) { joinFail++; if (!joinErr) joinErr = JSON.stringify(a); }
  });
  if (!c.sockets.length) return { scenario: 'p2', error: 'no clients connected: ' + c.firstErr };
  const members = c.sockets.length - joinFail; // the sender gets its own broadcast too
  await waitServerIdle(15000); // 1000 joins fan `presence` out to the room: let it settle
  const sender = c.sockets[0];
  const allIn = new Promise((r) => { done = r; });
  let stored = 0, failed = 0, firstErr = null;
  expected = m * members;
  const cpu = cpuMeter('p2');
  const t0 = nowMs();
  await windowed(m, A.window, async (k) => {
    const id = `${run}-${k}`;
    const ts = nowMs();
    sentAt.set(id, ts);
    try {
      const a = await ack(sender, 'message', { room: 'general', body: 'bench message ' + k, client_id: id });
      if (a && a.ok) { stored++; ackLat.push(nowMs() - ts); } else { failed++; if (!firstErr) firstErr = JSON.stringify(a); }
    } catch (e) { failed++; if (!firstErr) firstErr = String(e); }
  });
  const tStored = nowMs();
  expected = stored * members;
  if (delivered < expected) await Promise.race([allIn, sleep(A.timeout * 1000)]);
  done = null;
  const cc = cpu();
  const span = (lastRecv || nowMs()) - t0;
  const res = {
    scenario: 'p2', clients: c.sockets.length, connect_failed: c.fail, join_failed: joinFail,
    first_error: c.firstErr || joinErr || firstErr, messages: m, stored, failed, window: A.window,
    expected, delivered, missing: expected - delivered, span_ms: round(span, 1),
    stored_per_s: round(stored / ((tStored - t0) / 1000), 1),
    deliveries_per_s: round(delivered / (span / 1000), 0),
    ack_p50_ms: round(pct(ackLat, 50)), ack_p99_ms: round(pct(ackLat, 99)),
    lat_p50_ms: round(pct(lat, 50)), lat_p99_ms: round(pct(lat, 99)),
    server_cpu_pct: cc.server_cpu_pct, gen_cpu_pct: cc.gen_cpu_pct,
    cpu_us_per_message: cc.sec == null || !stored ? null : round(1e6 * cc.sec / stored, 1),
    cpu_us_per_delivery: cc.sec == null || !delivered ? null : round(1e6 * cc.sec / delivered, 2),
  };
  await closeAll(c.sockets);
  return res;
}

// ---------------------------------------------------------------- main
async function main() {
  const hardStop = setTimeout(() => { console.error('hard time limit reached'); process.exit(3); }, 15 * 60 * 1000);
  hardStop.unref();
  for (const s of A.scenario.split(',')) {
    let res;
    if (s === 'p1') res = await p1();
    else if (s === 'p2') res = await p2();
    else throw new Error('unknown scenario ' + s);
    res = { label: A.label, rep: A.rep, url: A.url, ...res, at: new Date().toISOString() };
    const line = JSON.stringify(res);
    console.log(line);
    if (A.out) fs.appendFileSync(A.out, line + '\n');
    await waitServerIdle();
  }
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });

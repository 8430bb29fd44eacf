// Roomcast speaks Socket.IO v5 / Engine.IO v4 to the official JavaScript client (socket.io-client 4.x).
// Run by tests/compat/test_node_client.py against a real server:
//   RC_URL=http://127.0.0.1:PORT RC_SECRET=... node --test tests/compat/
// Namespaces used: /bench (shared/bench contract: echo, fanout) and /fp (the test probe of
// tests/test_fastpath.py: whoami, echo, emit, kick). Every wait is bounded.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { io, Manager } = require('socket.io-client');

const URL = process.env.RC_URL;
const SECRET = process.env.RC_SECRET;
const WAIT_MS = 8000;

function token(sub) {
  const b64 = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub })}`;
  const sig = crypto.createHmac('sha256', SECRET).update(body).digest('base64url');
  return `${body}.${sig}`;
}

function within(promise, what, ms = WAIT_MS) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

const once = (emitter, event, what) =>
  within(new Promise((resolve) => emitter.once(event, (...a) => resolve(a))), what || event);

async function connect(ns, opts = {}) {
  const { sub = 'u0', ...rest } = opts;
  const socket = io(URL + ns, {
    auth: { token: token(sub) }, reconnection: false, forceNew: true, ...rest,
  });
  await within(new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  }), `connect ${ns}`);
  return socket;
}

// disconnect, and close the Engine.IO connection even if no namespace is connected any more
// (a refused namespace leaves it open until the ping timeout otherwise)
function shut(...sockets) {
  for (const s of sockets) {
    s.disconnect();
    if (s.io.engine) s.io.engine.close();
  }
}

const call = (socket, event, ...args) => within(socket.emitWithAck(event, ...args), `ack of ${event}`);

for (const transports of [['websocket'], ['polling']]) {
  test(`echo with ack over ${transports[0]}`, async () => {
    const s = await connect('/bench', { transports });
    try {
      assert.equal(s.io.engine.transport.name, transports[0]);
      const data = { text: 'héllo ✓', n: 42, f: 1.5, list: [1, null, true], nested: { a: { b: [] } } };
      assert.deepEqual(await call(s, 'echo', data), data);
      assert.equal(await call(s, 'echo', 'plain string'), 'plain string');
      // many acks in flight at once: each answer comes back to its own callback
      const many = await Promise.all(Array.from({ length: 100 }, (_, i) => call(s, 'echo', { i })));
      assert.deepEqual(many.map((m) => m.i), Array.from({ length: 100 }, (_, i) => i));
    } finally {
      shut(s);
    }
  });

  test(`binary payloads (Buffer) both ways over ${transports[0]}`, async () => {
    const a = await connect('/fp', { transports });
    const b = await connect('/fp', { transports });
    try {
      const blob = crypto.randomBytes(3000);
      const back = await call(a, 'echo', { blob, label: 'x' });
      assert.ok(Buffer.isBuffer(back.blob));
      assert.ok(back.blob.equals(blob));
      assert.equal(back.label, 'x');
      const got = once(b, 'msg', 'binary msg');
      await call(a, 'emit', { to: await call(b, 'whoami'), payload: { blob } });
      const [msg] = await got;
      assert.ok(Buffer.from(msg.blob).equals(blob));
    } finally {
      shut(a, b);
    }
  });
}

test('polling upgrades to websocket and keeps working', async () => {
  const s = await connect('/bench', { transports: ['polling', 'websocket'] });
  try {
    if (s.io.engine.transport.name !== 'websocket') {
      await once(s.io.engine, 'upgrade', 'transport upgrade');
    }
    assert.equal(s.io.engine.transport.name, 'websocket');
    assert.deepEqual(await call(s, 'echo', { after: 'upgrade' }), { after: 'upgrade' });
  } finally {
    shut(s);
  }
});

test('room fan-out reaches every client, in order, none missing', async () => {
  const clients = await Promise.all(Array.from({ length: 20 }, (_, i) =>
    connect('/bench', { sub: `u${i}`, transports: i % 3 === 0 ? ['polling'] : ['websocket'] })));
  const count = 200;
  const seen = clients.map(() => []);
  const done = clients.map((c, i) => within(new Promise((resolve) => {
    c.on('msg', (m) => { seen[i].push(m.seq); if (seen[i].length === count) resolve(); });
  }), `fan-out to client ${i}`));
  try {
    const ack = await call(clients[0], 'fanout', { count, size: 200 });
    assert.equal(ack.count, count);
    await Promise.all(done);
    const want = Array.from({ length: count }, (_, i) => i);
    for (const got of seen) assert.deepEqual(got, want);
  } finally {
    shut(...clients);
  }
});

test('server-side disconnect, then the client reconnects', async () => {
  const s = await connect('/fp', { transports: ['websocket'] });
  try {
    const first = s.id;
    const gone = once(s, 'disconnect', 'server-side disconnect');
    await call(s, 'kick', await call(s, 'whoami')).catch(() => {}); // the ack may not arrive
    const [reason] = await gone;
    assert.equal(reason, 'io server disconnect');
    s.connect(); // socket.io does not reconnect by itself after a server-side disconnect
    await once(s, 'connect', 'reconnect');
    assert.notEqual(s.id, first);
    assert.equal(await call(s, 'echo', 'back'), 'back');
  } finally {
    shut(s);
  }
});

test('the Manager reconnects by itself when the transport drops', async () => {
  const s = io(URL + '/bench', {
    auth: { token: token('u1') }, forceNew: true, transports: ['websocket'],
    reconnectionDelay: 50, reconnectionDelayMax: 100,
  });
  try {
    await once(s, 'connect');
    const again = once(s.io, 'reconnect', 'manager reconnect');
    s.io.engine.close(); // as if the network dropped
    await again;
    assert.equal(await call(s, 'echo', 1), 1);
  } finally {
    shut(s);
  }
});

test('several namespaces over one connection', async () => {
  for (const transports of [['websocket'], ['polling']]) {
    const manager = new Manager(URL, { transports, reconnection: false });
    const bench = manager.socket('/bench', { auth: { token: token('u2') } });
    const probe = manager.socket('/fp');
    try {
      await Promise.all([once(bench, 'connect'), once(probe, 'connect')]);
      assert.equal(manager.engine.transport.name, transports[0]);
      const [x, y] = await Promise.all([call(bench, 'echo', 'b'), call(probe, 'echo', 'p')]);
      assert.deepEqual([x, y], ['b', 'p']);
      // leaving one namespace keeps the other
      bench.disconnect();
      assert.equal(await call(probe, 'echo', 'still'), 'still');
    } finally {
      shut(bench, probe);
    }
  }
});

test('a refused connection gets connect_error with the server message', async () => {
  const s = io(URL + '/bench', {
    auth: { token: 'not-a-token' }, reconnection: false, forceNew: true, transports: ['websocket'],
  });
  try {
    const [err] = await once(s, 'connect_error');
    assert.ok(err instanceof Error);
    assert.ok(err.message.length > 0);
  } finally {
    shut(s);
  }
});

// The project's JS client (frontend_client/src/roomcast.js over socket.io-client 4.8) through
// a real nginx in front of two nodes. Run by tests/cluster/test_through_nginx.py:
//   ROOMCAST_URL=http://127.0.0.1:NGINX_PORT ROOMCAST_NODE_URLS=http://...:P1,http://...:P2 \
//     node --test tests/cluster/nginx.test.mjs
// Every loopback client hashes to the same node through nginx, so the cross-node checks also
// connect straight to each node's own port: whichever node nginx picked, one of the two direct
// sockets is on the other node. Every wait is bounded.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import test from "node:test";
import { RoomcastClient } from "../../frontend_client/src/roomcast.js";

const NGINX = process.env.ROOMCAST_URL;
const NODES = (process.env.ROOMCAST_NODE_URLS ?? "").split(",").filter(Boolean);
const STAFF = [process.env.ROOMCAST_STAFF_EMAIL ?? "admin@example.com", process.env.ROOMCAST_STAFF_PASSWORD ?? "admin-password"];
const PASSWORD = "correct horse battery";
const WAIT = 10000;

assert.ok(NGINX && NODES.length === 2, "ROOMCAST_URL and two ROOMCAST_NODE_URLS are needed");

function within(promise, what, ms = WAIT) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** Resolves with the first `event` payload for which `match` is true. */
function next(sock, event, match = () => true, what = event) {
  return within(
    new Promise((resolve) => {
      const handler = (payload) => {
        if (!match(payload)) return;
        sock.socket.off(event, handler);
        resolve(payload);
      };
      sock.socket.on(event, handler);
    }),
    what,
  );
}

// Through nginx the client sends the Origin a browser on that page would send (socket.io-client
// in Node can set it on the websocket; the XHR polyfill forbids it, as browsers do).
const asBrowser = (baseUrl) => ({ extraHeaders: { Origin: baseUrl }, reconnection: false });

async function signIn(baseUrl, email, password = PASSWORD) {
  const client = new RoomcastClient({ baseUrl, socketOptions: asBrowser(baseUrl) });
  await client.login(email, password);
  return client;
}

async function newUserEverywhere(t) {
  const email = `nginx-${randomUUID().slice(0, 12)}@example.com`;
  const first = new RoomcastClient({ baseUrl: NGINX, socketOptions: asBrowser(NGINX) });
  await first.register(email, PASSWORD);
  const clients = [first, ...(await Promise.all(NODES.map((url) => signIn(url, email))))];
  t.after(() => clients.forEach(closeAll));
  return clients; // [through nginx, node 1 direct, node 2 direct]
}

function closeAll(client) {
  for (const sock of [...client.sockets]) sock.socket.close();
}

async function chatSocket(client, ioOptions = {}) {
  const sock = client.chat(ioOptions);
  await within(sock.ready, `connect /chat on ${client.baseUrl}`);
  return sock;
}

async function roundTrip(sock, room, label) {
  const body = `${label} ${randomUUID()}`;
  const broadcast = next(sock, "message", (m) => m.body === body, `broadcast of ${label}`);
  const ack = await sock.send(room, body);
  assert.equal(ack.body, body);
  assert.equal((await broadcast).id, ack.id);
}

test("websocket through nginx", async (t) => {
  const [client] = await newUserEverywhere(t);
  const sock = await chatSocket(client, { transports: ["websocket"] });
  assert.equal(sock.socket.io.engine.transport.name, "websocket");
  await sock.join("general");
  await roundTrip(sock, "general", "websocket");
});

test("polling through nginx: every long-poll reaches the node holding the session", async (t) => {
  const [client] = await newUserEverywhere(t);
  const sock = await chatSocket(client, { transports: ["polling"] });
  assert.equal(sock.socket.io.engine.transport.name, "polling");
  await sock.join("general");
  // Each round trip is a POST plus a held GET; a poll landing on the other node would end the
  // session with 400 "Session ID unknown".
  for (let i = 0; i < 10; i++) await roundTrip(sock, "general", `polling ${i}`);
  const pong = await sock.call("ping", { timestamp: Date.now() });
  assert.ok(pong.server_time);
  assert.ok(sock.connected);
  assert.equal(sock.socket.io.engine.transport.name, "polling");
});

test("upgrade from polling to websocket through nginx", async (t) => {
  const [client] = await newUserEverywhere(t);
  const sock = client.chat({ transports: ["polling", "websocket"], upgrade: true });
  const upgraded = within(
    new Promise((resolve) => sock.socket.io.on("open", () => sock.socket.io.engine.once("upgrade", resolve))),
    "transport upgrade",
  );
  await within(sock.ready, "connect /chat");
  const transport = await upgraded;
  assert.equal(transport.name, "websocket");
  assert.equal(sock.socket.io.engine.transport.name, "websocket");
  await sock.join("general");
  await roundTrip(sock, "general", "after upgrade");
});

test("a browser origin other than the page's is refused through nginx", async () => {
  const client = new RoomcastClient({
    baseUrl: NGINX,
    socketOptions: { extraHeaders: { Origin: "http://evil.example" }, reconnection: false },
  });
  await client.login(...STAFF);
  const sock = client.chat({ transports: ["websocket"] });
  const failed = next(sock, "connect_error", () => true, "connect_error for a foreign origin");
  await failed;
  assert.equal(sock.connected, false);
  closeAll(client);
});

test("chat messages cross nodes both ways (nginx socket and a socket on each node)", async (t) => {
  const clients = await newUserEverywhere(t);
  const socks = await Promise.all(clients.map((c) => chatSocket(c, { transports: ["websocket"] })));
  for (const sock of socks) await sock.join("general");
  const names = ["nginx", "node 1", "node 2"];
  for (const [i, sender] of socks.entries()) {
    const body = `from ${names[i]} ${randomUUID()}`;
    const arrivals = socks.map((sock, j) => next(sock, "message", (m) => m.body === body, `${names[j]} gets ${body}`));
    await sender.send("general", body);
    const got = await Promise.all(arrivals);
    assert.equal(new Set(got.map((m) => m.id)).size, 1);
  }
});

test("a REST change through nginx reaches the user's sockets on both nodes", async (t) => {
  const [viaNginx, ...direct] = await newUserEverywhere(t);
  const staff = await signIn(NGINX, ...STAFF);
  t.after(() => closeAll(staff));
  const socks = await Promise.all(
    [viaNginx, ...direct].map(async (client) => {
      const sock = client.alerts({ transports: ["websocket"] });
      await within(sock.ready, `connect /alerts on ${client.baseUrl}`);
      return sock;
    }),
  );
  const title = `through nginx ${randomUUID()}`;
  const arrivals = socks.map((sock, i) => next(sock, "breach_alert", (a) => a.message?.title === title, `alert on socket ${i}`));
  const alert = await staff.post("/alerts", {
    user_id: viaNginx.user.id,
    breach_id: "nginx-test",
    title,
    severity: "HIGH",
    confidence: 0.9,
  });
  for (const got of await Promise.all(arrivals)) assert.equal(got.message.id, alert.id);
});

// RoomcastClient against a real server: REST sign-in, ws-token sockets, acks, refusals.

import assert from "node:assert/strict";
import { test } from "node:test";
import { io } from "socket.io-client";
import { RoomcastClient, RoomcastError } from "../src/roomcast.js";
import { BASE_URL, PASSWORD, SHORT_TOKENS, STAFF_EMAIL, newUser, open } from "../testing/helpers.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test("login returns the user and keeps the tokens in memory", async () => {
  const client = new RoomcastClient({ baseUrl: BASE_URL });
  const user = await client.login(STAFF_EMAIL.toUpperCase(), process.env.ROOMCAST_STAFF_PASSWORD ?? "admin-password");
  assert.equal(user.email, STAFF_EMAIL);
  assert.equal(user.is_staff, true);
  assert.ok(client.accessToken && client.refreshToken);
  assert.deepEqual(await client.me(), user);
});

test("a wrong password rejects with a RoomcastError from the REST error body", async () => {
  const client = new RoomcastClient({ baseUrl: BASE_URL });
  await assert.rejects(client.login(STAFF_EMAIL, "not the password"), (err) => {
    assert.ok(err instanceof RoomcastError);
    assert.equal(err.code, "unauthorized");
    assert.equal(err.status, 401);
    return true;
  });
  assert.equal(client.accessToken, null);
});

test("register signs in; a duplicate email is a conflict naming the field", async (t) => {
  const client = await newUser(t, { first_name: "Jay" });
  assert.equal(client.user.first_name, "Jay");
  const again = new RoomcastClient({ baseUrl: BASE_URL });
  await assert.rejects(again.register(client.user.email, PASSWORD), (err) => {
    assert.equal(err.code, "conflict");
    assert.ok("email" in err.fields);
    return true;
  });
});

test("refresh rotates the pair; the old refresh token is dead", async (t) => {
  const client = await newUser(t);
  const oldRefresh = client.refreshToken;
  const [a, b] = await Promise.all([client.refresh(), client.refresh()]); // one request shared
  assert.deepEqual(a, b);
  assert.notEqual(client.refreshToken, oldRefresh);
  const stale = new RoomcastClient({ baseUrl: BASE_URL, refreshToken: oldRefresh });
  await assert.rejects(stale.refresh(), (err) => err.code === "token_revoked");
});

test("connect presents a ws-token and receives the greeting", async (t) => {
  const client = await newUser(t);
  const { events, greeting } = await open(client, "/alerts");
  assert.equal(greeting.namespace, "/alerts");
  assert.equal(greeting.user_id, client.user.id);
  assert.equal(greeting.is_staff, false);
  assert.deepEqual(await events.wait("unread_count"), { count: 0 });
});

test("call resolves to ack.data and rejects with the error code and fields", async (t) => {
  const client = await newUser(t);
  const { sock } = await open(client, "/alerts");
  assert.deepEqual(await sock.call("list", {}), []);
  const pong = await sock.call("ping", { timestamp: "t-1" });
  assert.equal(pong.timestamp, "t-1");
  await assert.rejects(sock.call("mark_read", { alert_id: "seven" }), (err) => {
    assert.ok(err instanceof RoomcastError);
    assert.equal(err.code, "validation_error");
    assert.ok("alert_id" in err.fields, JSON.stringify(err.fields));
    return true;
  });
  await assert.rejects(sock.markRead(987654321), (err) => err.code === "not_found");
  await assert.rejects(sock.call("no_such_event", {}), (err) => err.code === "bad_request");
  assert.ok(sock.connected, "error acks never kill the socket");
});

test("a refused connect shows {code, reason} from connect_error", async (t) => {
  const client = await newUser(t);
  const sock = client.connect("/alerts", { token: "not-a-token", reconnection: false });
  const seen = new Promise((resolve) => sock.on("connect_error", resolve));
  await assert.rejects(sock.ready, (err) => {
    assert.ok(err instanceof RoomcastError);
    assert.equal(err.status, 4001);
    assert.equal(err.code, "invalid_token");
    assert.equal(err.data.code, 4001);
    assert.equal(err.data.reason, "invalid_token");
    assert.ok(err.data.message);
    return true;
  });
  assert.equal((await seen).reason, "invalid_token");
});

test("a ws-token is good for one connection only", async (t) => {
  const client = await newUser(t);
  const token = await client.wsToken();
  const first = await open(client, "/alerts", { token });
  assert.equal(first.greeting.user_id, client.user.id);
  const second = client.connect("/dns", { token, reconnection: false });
  await assert.rejects(second.ready, (err) => err.status === 4001 && err.reason === "token_revoked");
});

test("reconnection fetches a fresh ws-token", async (t) => {
  const client = await newUser(t);
  const issued = [];
  const wsToken = client.wsToken.bind(client);
  client.wsToken = async () => {
    const token = await wsToken();
    issued.push(token);
    return token;
  };
  const { sock, events } = await open(client, "/alerts", { reconnectionDelay: 50 });
  await events.wait("unread_count");
  sock.socket.io.engine.close(); // drop the transport: the manager reconnects by itself
  const again = await events.wait("connection_established", 10000);
  assert.equal(again.user_id, client.user.id);
  assert.equal(issued.length, 2);
  assert.notEqual(issued[0], issued[1]);
  assert.deepEqual(await sock.call("get_unread_count"), { count: 0 });
  // The first token was spent by the first connect: presenting it again is refused.
  const raw = io(BASE_URL + "/alerts", { auth: { token: issued[0] }, transports: ["websocket"], reconnection: false });
  t.after(() => raw.disconnect());
  const refusal = await new Promise((resolve) => raw.on("connect_error", (err) => resolve(err.data)));
  assert.equal(refusal.code, 4001);
  assert.equal(refusal.reason, "token_revoked");
});

test("logout disconnects the login's sockets and new connects fail locally", async (t) => {
  const client = await newUser(t);
  const { sock } = await open(client, "/alerts");
  const gone = new Promise((resolve) => sock.on("disconnect", resolve));
  const other = await newUser(t);
  const { sock: otherSock } = await open(other, "/alerts");
  const session = { accessToken: client.accessToken };
  await client.logout();
  await gone;
  assert.equal(client.accessToken, null);
  const stale = new RoomcastClient({ baseUrl: BASE_URL, accessToken: session.accessToken });
  const refused = stale.connect("/alerts", { reconnection: false });
  await assert.rejects(refused.ready, (err) => err.code === "token_revoked");
  assert.ok(otherSock.connected, "another user's socket stays");
});

test("a guest may connect to /chat without a token", async (t) => {
  const client = new RoomcastClient({ baseUrl: BASE_URL });
  t.after(() => client.sockets.forEach((s) => s.close()));
  const { greeting } = await open(client, "/chat", { guest: true });
  assert.equal(greeting.user_id, null);
  assert.equal(greeting.namespace, "/chat");
});

test(
  "token_expiring is answered with refresh_token and the socket outlives its tokens",
  { skip: SHORT_TOKENS ? false : "needs a server with short token lifetimes (ROOMCAST_SHORT_TOKENS=1)" },
  async (t) => {
    const client = await newUser(t);
    const firstAccess = client.accessToken;
    const { sock, events } = await open(client, "/alerts");
    const expiring = await events.wait("token_expiring"); // the ws-token lives 4 s
    assert.ok(Date.parse(expiring.expires_at) > Date.now() - 1000);
    const disconnected = [];
    sock.on("disconnect", (reason) => disconnected.push(reason));
    // Past the ws-token's and the first access token's lifetime (6 s).
    await sleep(7500);
    assert.deepEqual(disconnected, []);
    assert.ok(sock.connected);
    assert.notEqual(client.accessToken, firstAccess, "the access token was refreshed");
    assert.deepEqual(await sock.call("get_unread_count"), { count: 0 });
    // REST with the refreshed pair still works.
    assert.equal((await client.me()).id, client.user.id);
  },
);

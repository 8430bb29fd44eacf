// Recovery through the library: events missed while disconnected come back on reconnect.

import assert from "node:assert/strict";
import { test } from "node:test";
import { newUser, open, staffClient } from "../testing/helpers.js";

const sendAlert = (staff, userId, title) =>
  staff.post("/alerts", { user_id: userId, breach_id: "js-rec", title, severity: "LOW", confidence: 0.5 });

function nextLocal(sock, event, timeout = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeout} ms`)), timeout);
    const off = sock.on(event, (payload) => {
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

test("alerts missed while disconnected are replayed once, in order, then 'recovered'", async (t) => {
  const staff = await staffClient(t);
  const alice = await newUser(t);
  const { sock, events } = await open(alice, "/alerts");
  await events.wait("recovery");
  const stream = `user:${alice.user.id}`;
  assert.ok(sock.streams.positions.has(stream));

  sock.socket.disconnect();
  const sent = [];
  for (let n = 0; n < 5; n++) sent.push((await sendAlert(staff, alice.user.id, `missed ${n}`)).id);
  const recovered = nextLocal(sock, "recovered");
  sock.socket.connect(); // the auth callback sends {token, recover: {...}}
  const outcome = await recovered;
  assert.equal(outcome.stream, stream);
  assert.equal(outcome.count, 10); // 5 breach_alert + 5 unread_count
  const got = [];
  for (let n = 0; n < 5; n++) got.push((await events.wait("breach_alert")).message.id);
  assert.deepEqual(got, sent);
  const first = await events.wait("unread_count");
  assert.equal("_stream" in first, false, "the library strips the position from payloads");
  assert.ok(await events.nothing("breach_alert", 300), "nothing twice");
});

test("a stale epoch is reported as 'gap' so the app reloads", async (t) => {
  const alice = await newUser(t);
  const { sock, events } = await open(alice, "/alerts");
  await events.wait("recovery");
  const stream = `user:${alice.user.id}`;
  sock.streams.positions.set(stream, { o: 3, e: "an-old-epoch" });
  const gap = nextLocal(sock, "gap");
  sock.socket.disconnect();
  sock.socket.connect();
  const outcome = await gap;
  assert.equal(outcome.stream, stream);
  assert.notEqual(outcome.e, "an-old-epoch");
  assert.equal(typeof outcome.oldest, "number");
});

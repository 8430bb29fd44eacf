// /alerts through the library: alerts sent by staff over REST, marking read across tabs.

import assert from "node:assert/strict";
import { test } from "node:test";
import { newUser, open, staffClient } from "../testing/helpers.js";

async function sendAlert(staff, userId, title) {
  return staff.post("/alerts", {
    user_id: userId,
    breach_id: "js-test",
    title,
    severity: "HIGH",
    confidence: 0.75,
  });
}

test("a staff REST POST reaches the user's socket as breach_alert and unread_count", async (t) => {
  const staff = await staffClient(t);
  const alice = await newUser(t);
  const bob = await newUser(t);
  const { events } = await open(alice, "/alerts");
  const { events: bobEvents } = await open(bob, "/alerts");
  assert.deepEqual(await events.wait("unread_count"), { count: 0 });
  await bobEvents.wait("unread_count");

  const created = await sendAlert(staff, alice.user.id, "Password found in a paste");
  const pushed = await events.wait("breach_alert");
  assert.equal(pushed.message.id, created.id);
  assert.equal(pushed.message.title, "Password found in a paste");
  assert.equal(pushed.message.severity, "HIGH");
  assert.equal(pushed.message.read, false);
  assert.ok(pushed.timestamp);
  assert.deepEqual(await events.wait("unread_count"), { count: 1 });
  assert.ok(await bobEvents.nothing("breach_alert"), "another user hears nothing");
});

test("a user cannot create alerts over REST", async (t) => {
  const alice = await newUser(t);
  await assert.rejects(sendAlert(alice, alice.user.id, "nope"), (err) => err.code === "forbidden");
});

test("mark_read in one client updates unread_count in another", async (t) => {
  const staff = await staffClient(t);
  const alice = await newUser(t);
  const first = await sendAlert(staff, alice.user.id, "one");
  await sendAlert(staff, alice.user.id, "two");

  const tab1 = await open(alice, "/alerts");
  const tab2 = await open(alice, "/alerts");
  assert.deepEqual(await tab1.events.wait("unread_count"), { count: 2 });
  assert.deepEqual(await tab2.events.wait("unread_count"), { count: 2 });

  const listed = await tab1.sock.list({ unreadOnly: true });
  assert.deepEqual(listed.map((a) => a.title), ["two", "one"]);
  const marked = await tab1.sock.markRead(first.id);
  assert.equal(marked.read, true);

  const update = await tab2.events.wait("alert_update");
  assert.equal(update.alert_id, first.id);
  assert.equal(update.update_type, "marked_read");
  assert.deepEqual(await tab2.events.wait("unread_count"), { count: 1 });
  assert.deepEqual(await tab1.events.wait("unread_count"), { count: 1 });
  // Marking it again is ok and broadcasts nothing.
  await tab1.sock.markRead(first.id);
  assert.ok(await tab2.events.nothing("alert_update"));
  assert.equal(await tab2.sock.unreadCount(), 1);
});

test("another user's alert is not_found", async (t) => {
  const staff = await staffClient(t);
  const alice = await newUser(t);
  const mallory = await newUser(t);
  const alert = await sendAlert(staff, alice.user.id, "private");
  const { sock } = await open(mallory, "/alerts");
  await assert.rejects(sock.markRead(alert.id), (err) => err.code === "not_found");
});

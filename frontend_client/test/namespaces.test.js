// The per-namespace helpers against the contract (docs/protocol.md): two clients watch chat,
// DNS, check-ins and analytics events flow. A namespace whose handlers are not built yet
// (a stub answering bad_request "unknown event") is skipped, saying so.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { newUser, open, staffClient } from "../testing/helpers.js";

/** Skip the test when the namespace does not know `event` yet. */
async function requireEvent(t, sock, event, data) {
  try {
    await sock.call(event, data);
  } catch (err) {
    if (err.code === "bad_request" && /unknown event/.test(err.message)) {
      t.skip(`${sock.namespace} ${event} is not implemented on this server`);
      return false;
    }
  }
  return true;
}

test("chat: a message from one client reaches another, with presence and typing", async (t) => {
  const alice = await newUser(t, { first_name: "Alice" });
  const bob = await newUser(t, { first_name: "Bob" });
  const a = await open(alice, "/chat");
  if (!(await requireEvent(t, a.sock, "history", { room: "general" }))) return;
  const b = await open(bob, "/chat");
  const joined = await b.sock.join("general");
  assert.equal(joined.room.slug, "general");
  assert.ok(joined.present.some((u) => u.id === bob.user.id), "present includes the joiner");

  await a.sock.join("general");
  const presence = await b.events.wait("presence");
  assert.equal(presence.action, "joined");
  assert.equal(presence.user.id, alice.user.id);

  a.sock.typing("general");
  assert.equal((await b.events.wait("typing")).user.id, alice.user.id);

  const body = `<b>hello</b> ${randomUUID()}`;
  const clientId = randomUUID();
  const sent = await a.sock.send("general", body, clientId);
  const received = await b.events.wait("message");
  assert.equal(received.id, sent.id);
  assert.equal(received.body, body);
  assert.equal(received.author.id, alice.user.id);
  // A retry with the same client_id returns the stored message and broadcasts it again (at
  // least once, same id: listeners drop it, see dedupeById).
  assert.equal((await a.sock.send("general", body, clientId)).id, sent.id);
  assert.equal((await b.events.wait("message")).id, sent.id);
  assert.ok(await b.events.nothing("message"));
  const history = await b.sock.history("general", { limit: 5 });
  assert.equal(history.at(-1).id, sent.id);

  await assert.rejects(a.sock.send("general", "   "), (err) => err.code === "validation_error");
  a.sock.close();
  const left = await b.events.wait("presence");
  assert.equal(left.action, "left");
});

test("dns: records created over a socket reach every subscriber of the zone", async (t) => {
  const owner = await newUser(t);
  const first = await open(owner, "/dns");
  if (!(await requireEvent(t, first.sock, "unsubscribe", { zone_id: 1 }))) return;
  const zone = await owner.post("/zones", { name: `z${randomUUID().slice(0, 8)}.example.com` });
  const second = await open(owner, "/dns");
  const subscribed = await second.sock.subscribe(zone.id);
  assert.equal(subscribed.zone.id, zone.id);
  assert.ok(Array.isArray(subscribed.records));
  await first.sock.subscribe(zone.id);

  const record = await first.sock.createRecord({ zone_id: zone.id, type: "A", name: "www", content: "192.0.2.10" });
  const created = await second.events.wait("record_created");
  assert.equal(created.zone_id, zone.id);
  assert.equal(created.record.id, record.id);
  assert.equal(created.record.ttl, 3600);

  const updated = await second.sock.updateRecord(record.id, record.version, { content: "192.0.2.11" });
  assert.equal((await first.events.wait("record_updated")).record.content, "192.0.2.11");
  await assert.rejects(first.sock.updateRecord(record.id, record.version, { content: "192.0.2.12" }), (err) => {
    assert.equal(err.code, "conflict");
    assert.equal(err.fields.current.version, updated.version);
    return true;
  });
  await assert.rejects(
    first.sock.createRecord({ zone_id: zone.id, type: "A", name: "bad", content: "not-an-ip" }),
    (err) => err.code === "validation_error" && "content" in err.fields,
  );
  await first.sock.deleteRecord(record.id);
  const deleted = await second.events.wait("record_deleted");
  assert.equal(deleted.zone_id, zone.id);
  assert.equal(deleted.id, record.id);

  const stranger = await newUser(t);
  const other = await open(stranger, "/dns");
  await assert.rejects(other.sock.subscribe(zone.id), (err) => err.code === "not_found");
});

test("checkins: a user's check-in reaches the staff board and the user's status", async (t) => {
  const staff = await staffClient(t);
  const board = await open(staff, "/checkins");
  if (!(await requireEvent(t, board.sock, "check_out", { member_id: 0 }))) return;
  assert.ok("checked_in_now" in (await board.events.wait("stats")));
  const member = await newUser(t);
  const row = await staff.post("/members", { name: "JS Member", membership_status: "active", user_id: member.user.id });
  const mine = await open(member, "/checkins");

  const checkin = await mine.sock.checkIn(row.id);
  assert.equal(checkin.member_id, row.id);
  const seen = await board.events.wait("checkin");
  assert.equal(seen.member.id, row.id);
  assert.equal(seen.checkin.id, checkin.id);
  assert.ok("checkins_today" in (await board.events.wait("stats")));
  const status = await mine.events.wait("member_status");
  assert.equal(status.member_id, row.id);
  assert.equal(status.status, "in");
  await assert.rejects(mine.sock.checkIn(row.id), (err) => err.code === "conflict");
  await mine.sock.checkOut(row.id);
  assert.equal((await board.events.wait("checkout")).member.id, row.id);
});

test("analytics: stats on connect and on refresh; staff also get global_stats", async (t) => {
  const user = await newUser(t);
  const mine = await open(user, "/analytics");
  if (!(await requireEvent(t, mine.sock, "refresh", {}))) return;
  const stats = await mine.events.wait("stats");
  for (const key of ["active_subscriptions", "total_invoices", "paid_invoices", "revenue_paid_cents", "as_of"]) {
    assert.ok(key in stats, key);
  }
  assert.equal((await mine.sock.refresh()).total_invoices, 0);
  const staff = await staffClient(t);
  const board = await open(staff, "/analytics");
  assert.ok("total_invoices" in (await board.events.wait("global_stats")));
});

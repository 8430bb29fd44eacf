// dedupeById: chat delivery is at least once, so a listener must see each message id once.

import assert from "node:assert/strict";
import { test } from "node:test";
import { dedupeById } from "../src/roomcast.js";

test("dedupeById passes each message id once and forgets the oldest beyond its limit", () => {
  const got = [];
  const listener = dedupeById((m) => got.push(m.id), { limit: 2 });
  for (const id of [1, 1, 2, 1, 3, 2]) listener({ id });
  assert.deepEqual(got, [1, 2, 3]);
  listener({ id: 1 }); // 1 was forgotten (limit 2: only 2 and 3 are remembered)
  assert.deepEqual(got, [1, 2, 3, 1]);
  listener({ body: "no id" });
  assert.equal(got.length, 5);
});

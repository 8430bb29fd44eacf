// The console's recovery in Debian's chromium (playwright-core): a fresh user's page whose
// /alerts socket drops while alerts are sent shows them after the reconnect, replayed (no
// REST reload, header "recovered"); after a gap (the server no longer has what was missed)
// the panel reloads over REST and the header says "gap, reloaded".
// Driven by tests/frontend/test_dashboard_recovery.py; exits 0 on success, 1 otherwise.

import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { RoomcastClient } from "../src/roomcast.js";

const BASE_URL = process.env.ROOMCAST_URL ?? "http://127.0.0.1:8000";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = process.env.ROOMCAST_ARTIFACTS ?? join(process.cwd(), "..", "tests", "artifacts");
const STAFF = [process.env.ROOMCAST_STAFF_EMAIL ?? "admin@example.com", process.env.ROOMCAST_STAFF_PASSWORD ?? "admin-password"];
const PASSWORD = "correct horse battery";
const WAIT = 20000;
mkdirSync(ARTIFACTS, { recursive: true });

const step = (name) => console.error(`step: ${name}`);
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  timeout: 30000,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const problems = [];

// The socket drops (its transport closes) and stays away until `reconnect()`.
const drop = (page) =>
  page.evaluate(() => {
    const io = window.roomcastSockets["/alerts"].socket.io;
    io.reconnection(false);
    io.engine.close();
  });
const reconnect = (page) =>
  page.evaluate(() => {
    const sock = window.roomcastSockets["/alerts"].socket;
    sock.io.reconnection(true);
    sock.connect();
  });
// Wait for the header's recovery note; on a timeout say what it showed instead.
async function note(page, text) {
  try {
    await page.waitForFunction((want) => document.getElementById("recovery-note").textContent === want, text);
  } catch {
    const seen = await page.evaluate(() => [document.getElementById("recovery-note").textContent, JSON.stringify(window.roomcastRecovery)]);
    throw new Error(`recovery note ${JSON.stringify(seen[0])}, not ${JSON.stringify(text)}; outcomes ${seen[1]}`);
  }
}
const shown = (page, id) => page.waitForSelector(`#alerts-list li[data-id="${id}"]`);

try {
  const staff = new RoomcastClient({ baseUrl: BASE_URL });
  await staff.login(...STAFF);
  const person = new RoomcastClient({ baseUrl: BASE_URL });
  const email = `rec-${randomUUID().slice(0, 10)}@example.com`;
  await person.register(email, PASSWORD);
  const me = person.user;
  const send = (title) => staff.post("/alerts", { user_id: me.id, breach_id: "recovery-e2e", title, severity: "HIGH", confidence: 0.9 });

  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  let restLoads = 0; // GET /api/v1/alerts: the panel's REST (re)loads
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/api/v1/alerts" && request.method() === "GET") restLoads += 1;
  });

  step("sign in, the panel loads over REST once");
  await page.goto(`${BASE_URL}/`);
  await page.waitForSelector("#login-panel:not([hidden])");
  await page.fill("#login-email", email);
  await page.fill("#login-password", PASSWORD);
  await page.click("#login-form button[type=submit]");
  await page.waitForFunction(() => [...document.querySelectorAll(".status")].every((s) => s.dataset.state === "up"));
  const before = await send("before the drop");
  await shown(page, before.id);
  if (restLoads !== 1) throw new Error(`expected one REST load of the alerts, saw ${restLoads}`);

  step("the socket drops; three alerts are sent meanwhile; it comes back");
  await drop(page);
  await page.waitForSelector('.status[data-ns="/alerts"][data-state="down"]');
  const missed = [];
  for (const n of [1, 2, 3]) missed.push(await send(`missed ${n}`));
  await reconnect(page);
  for (const alert of missed) await shown(page, alert.id);
  await note(page, "alerts: recovered 6 missed events");
  if (restLoads !== 1) throw new Error(`a recovered reconnect reloaded over REST (${restLoads} loads)`);
  const ids = await page.$$eval("#alerts-list li", (items) => items.map((li) => Number(li.dataset.id)));
  if (new Set(ids).size !== ids.length || ids.length !== 4) throw new Error(`the list is ${ids}`);
  const badge = await page.textContent("#alerts-unread");
  if (badge !== "4") throw new Error(`unread badge ${badge}, not 4`);
  const live = await send("live after");
  await shown(page, live.id);
  await page.screenshot({ path: join(ARTIFACTS, "recovery-01-recovered.png"), fullPage: true });

  step("a gap: the server no longer has what was missed; the panel reloads over REST");
  await drop(page);
  await page.waitForSelector('.status[data-ns="/alerts"][data-state="down"]');
  // As if the server's history had been lost: the position the page holds is of another epoch.
  await page.evaluate((stream) => {
    const positions = window.roomcastSockets["/alerts"].streams.positions;
    positions.set(stream, { o: positions.get(stream).o, e: "lost-epoch" });
  }, `user:${me.id}`);
  const unseen = await send("sent during the gap");
  await reconnect(page);
  await note(page, "alerts: gap, reloaded");
  await shown(page, unseen.id);
  if (restLoads !== 2) throw new Error(`the gap did not reload the alerts over REST once (${restLoads} loads)`);
  const log = await page.evaluate(() => window.roomcastRecovery.filter((o) => o.namespace === "/alerts").map((o) => o.status));
  if (log.join(",") !== "recovered,gap") throw new Error(`recovery outcomes ${log}`);
  await page.screenshot({ path: join(ARTIFACTS, "recovery-02-gap-reloaded.png"), fullPage: true });

  if (problems.length) throw new Error(problems.join("\n"));
  console.log(JSON.stringify({ ok: true }));
  await browser.close();
  process.exit(0);
} catch (err) {
  console.error(`recovery e2e failed: ${err.stack ?? err}`);
  if (problems.length) console.error(problems.join("\n"));
  await browser.close();
  process.exit(1);
}

// Browser end-to-end check of the dashboard, driven by tests/frontend/test_dashboard_browser.py.
//
// Debian's chromium (never a downloaded browser) signs in as alice in the page; a staff REST
// call sends alice an alert; the page must show it (as text) and the unread count, and marking
// it read must bring the count back. Exits 0 on success, 1 with the reason otherwise.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { RoomcastClient } from "../src/roomcast.js";

const BASE_URL = process.env.ROOMCAST_URL ?? "http://127.0.0.1:8000";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const STAFF = [process.env.ROOMCAST_STAFF_EMAIL ?? "admin@example.com", process.env.ROOMCAST_STAFF_PASSWORD ?? "admin-password"];
const WAIT = 15000;
// Markup in an alert title must come out as text, never as an element.
const TITLE = `<img src=x onerror="window.__pwned=1">Leaked credentials ${Date.now()}`;

const profile = mkdtempSync(join(tmpdir(), "roomcast-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true, // adds --headless
  timeout: 30000,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

const problems = [];
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(WAIT);
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !/Failed to load resource/.test(msg.text())) {
      problems.push(`console error: ${msg.text()}`);
    }
  });

  await page.goto(`${BASE_URL}/`);
  await page.fill("#login-email", "alice@example.com");
  await page.fill("#login-password", "wrong-password");
  await page.click("#login-form button[type=submit]");
  await page.waitForFunction(() => document.getElementById("login-error").textContent.includes("unauthorized"));

  await page.fill("#login-password", "alice-password");
  await page.click("#login-form button[type=submit]");
  await page.waitForSelector("#panels:not([hidden])");
  await page.waitForFunction(() => document.querySelector('.status[data-ns="/alerts"]').textContent === "live");
  const who = await page.textContent("#who");
  if (!who.includes("Alice")) throw new Error(`signed in as ${JSON.stringify(who)}`);
  // The first unread_count follows the greeting; wait until the alert list has loaded too.
  await page.waitForFunction(() => document.getElementById("alerts-error").textContent === "");
  const before = Number(await page.textContent("#alerts-unread"));

  const staff = new RoomcastClient({ baseUrl: BASE_URL });
  await staff.login(...STAFF);
  const alice = (await staff.get("/users")).items.find((u) => u.email === "alice@example.com");
  const alert = await staff.post("/alerts", {
    user_id: alice.id,
    breach_id: "browser-e2e",
    title: TITLE,
    severity: "CRITICAL",
    confidence: 0.97,
  });

  const item = `#alerts-list li[data-id="${alert.id}"]`;
  await page.waitForSelector(item);
  const shown = await page.textContent(`${item} .title`);
  if (shown !== TITLE) throw new Error(`alert title shown as ${JSON.stringify(shown)}`);
  if ((await page.$$("#alerts-list img")).length) throw new Error("alert title was rendered as HTML");
  await page.waitForFunction((n) => document.getElementById("alerts-unread").textContent === String(n), before + 1);

  await page.click(`${item} button.mark-read`);
  await page.waitForFunction((n) => document.getElementById("alerts-unread").textContent === String(n), before);
  const stillUnread = await page.$eval(item, (li) => li.classList.contains("unread"));
  if (stillUnread) throw new Error("the alert still shows as unread after mark read");
  if (await page.evaluate(() => window.__pwned)) throw new Error("markup in a title ran");

  await page.click("#logout");
  await page.waitForSelector("#login-panel:not([hidden])");
  await staff.logout();
  console.log(JSON.stringify({ ok: true, alert: alert.id, unread_before: before }));
} catch (err) {
  problems.unshift(err.stack ?? String(err));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}

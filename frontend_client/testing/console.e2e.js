// The staff console in Debian's chromium (playwright-core), as two people at once: staff
// (admin) in one browser context and alice in another. Driven by
// tests/frontend/test_console_browser.py; exits 0 on success, 1 with the reason otherwise.
// Screenshots go to $ROOMCAST_ARTIFACTS (printed at the end).

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { RoomcastClient } from "../src/roomcast.js";

const BASE_URL = process.env.ROOMCAST_URL ?? "http://127.0.0.1:8000";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = process.env.ROOMCAST_ARTIFACTS ?? join(process.cwd(), "..", "tests", "artifacts");
const STAFF = [process.env.ROOMCAST_STAFF_EMAIL ?? "admin@example.com", process.env.ROOMCAST_STAFF_PASSWORD ?? "admin-password"];
const ALICE = ["alice@example.com", "alice-password"];
const WAIT = 15000;
mkdirSync(ARTIFACTS, { recursive: true });

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  timeout: 30000,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const problems = [];
const shots = [];
const step = (name) => console.error(`step: ${name}`);

async function person() {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !/Failed to load resource/.test(msg.text())) problems.push(`console error: ${msg.text()}`);
  });
  return page;
}

async function shot(page, name, what) {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  shots.push({ path, what });
}

async function signIn(page, [email, password]) {
  await page.goto(`${BASE_URL}/`);
  await page.waitForSelector("#login-panel:not([hidden])");
  await page.fill("#login-email", email);
  await page.fill("#login-password", password);
  await page.click("#login-form button[type=submit]");
  await page.waitForSelector("#panels:not([hidden])");
  await page.waitForFunction(() => [...document.querySelectorAll(".status")].every((s) => s.dataset.state === "up"));
}

const visible = (page, selector) => page.$eval(selector, (node) => getComputedStyle(node).display !== "none" && node.offsetParent !== null);

try {
  const staffPage = await person();
  const alicePage = await person();
  const staff = new RoomcastClient({ baseUrl: BASE_URL });
  await staff.login(...STAFF);
  const alice = new RoomcastClient({ baseUrl: BASE_URL });
  await alice.login(...ALICE);

  step("panels stay hidden before sign-in");
  await staffPage.goto(`${BASE_URL}/`);
  await staffPage.waitForSelector("#login-panel:not([hidden])");
  if (await visible(staffPage, "#panels")) throw new Error("#panels visible before sign-in");
  if (await visible(staffPage, "#alerts-unread")) throw new Error("the unread badge shows before sign-in");
  const favicon = await staffPage.request.get(`${BASE_URL}/favicon.ico`);
  if (favicon.status() !== 200) throw new Error(`/favicon.ico answered ${favicon.status()}`);
  await shot(staffPage, "01-sign-in", "the sign-in form alone, nothing of the console behind it");

  step("wrong password, then two people sign in");
  await staffPage.fill("#login-email", STAFF[0]);
  await staffPage.fill("#login-password", "wrong-password");
  await staffPage.click("#login-form button[type=submit]");
  await staffPage.waitForFunction(() => document.getElementById("login-error").textContent.includes("unauthorized"));
  await signIn(staffPage, STAFF);
  await signIn(alicePage, ALICE);
  if (!(await staffPage.textContent("#who")).includes("staff")) throw new Error("staff not shown as staff");

  step("a reload keeps the session");
  await staffPage.reload();
  await staffPage.waitForSelector("#panels:not([hidden])");
  if (!(await staffPage.$eval("#login-panel", (n) => n.hidden))) throw new Error("the sign-in form came back after a reload");
  await staffPage.waitForFunction(() => [...document.querySelectorAll(".status")].every((s) => s.dataset.state === "up"));

  step("table headers do not wrap");
  const wrapped = await staffPage.$$eval("th", (ths) => ths.filter((th) => th.textContent.trim() && th.getClientRects()[0]?.height > 30).map((th) => th.textContent));
  if (wrapped.length) throw new Error(`wrapped headers: ${wrapped.join(", ")}`);

  step("chat: two people, one room, typing, private rooms");
  await staffPage.waitForSelector('#chat-rooms button[data-slug="general"][aria-current="true"]');
  await alicePage.waitForSelector('#chat-rooms button[data-slug="general"][aria-current="true"]');
  const hello = `hello from alice ${Date.now()}`;
  await alicePage.fill("#chat-input", hello);
  await alicePage.press("#chat-input", "Enter");
  await staffPage.waitForFunction((text) => [...document.querySelectorAll("#chat-messages .body")].some((b) => b.textContent === text), hello);
  await staffPage.type("#chat-input", "typing…");
  await alicePage.waitForFunction(() => document.getElementById("chat-typing").textContent.includes("is typing"));
  await staffPage.fill("#chat-input", "");
  const slug = `ops-${Date.now() % 100000}`;
  await staffPage.click("#chat-new-room summary");
  await staffPage.fill("#chat-room-slug", slug);
  await staffPage.fill("#chat-room-name", "Ops");
  await staffPage.selectOption("#chat-room-kind", "private");
  await staffPage.click("#chat-room-form button[type=submit]");
  await staffPage.waitForSelector(`#chat-rooms button[data-slug="${slug}"][aria-current="true"]`);
  await staffPage.waitForSelector("#chat-member-form:not([hidden])");
  await alicePage.reload();
  await alicePage.waitForSelector('#chat-rooms button[data-slug="general"]');
  if (await alicePage.$(`#chat-rooms button[data-slug="${slug}"]`)) throw new Error("alice sees a private room she is not in");
  await staffPage.click('#chat-rooms button[data-slug="general"]');
  await staffPage.waitForSelector('#chat-rooms button[data-slug="general"][aria-current="true"]');

  step("alerts reach alice's page live, with filters");
  const title = `<img src=x onerror="window.__pwned=1">Leaked credentials ${Date.now()}`;
  const me = (await alice.get("/auth/me")).user;
  const alert = await staff.post("/alerts", { user_id: me.id, breach_id: "browser-e2e", title, severity: "CRITICAL", confidence: 0.97 });
  const item = `#alerts-list li[data-id="${alert.id}"]`;
  await alicePage.waitForSelector(item);
  if ((await alicePage.textContent(`${item} .title`)) !== title) throw new Error("alert title not shown as text");
  await alicePage.selectOption("#alerts-severity", "LOW");
  if (await alicePage.$(item)) throw new Error("severity filter kept a CRITICAL alert");
  await alicePage.selectOption("#alerts-severity", "");
  await alicePage.click(`${item} button.mark-read`);
  await alicePage.waitForFunction((sel) => !document.querySelector(sel)?.classList.contains("unread"), item);
  if (await alicePage.evaluate(() => window.__pwned)) throw new Error("markup in a title ran");

  step("DNS: inline edit, and a version conflict shown");
  await alicePage.waitForSelector("#dns-records tr[data-id]");
  const recordId = Number(await alicePage.$eval('#dns-records tr[data-id] button.edit', (b) => b.closest("tr").dataset.id));
  await alicePage.click(`#dns-records tr[data-id="${recordId}"] button.edit`);
  const record = await alice.get(`/records/${recordId}`);
  // Someone else saves first (a real change, so that the version moves on).
  await staff.patch(`/records/${recordId}`, { version: record.version, ttl: record.ttl === 7200 ? 7300 : 7200 });
  await alicePage.fill(`#dns-records tr[data-id="${recordId}"] input[name="ttl"]`, record.ttl === 1800 ? "1900" : "1800");
  await alicePage.click(`#dns-records tr[data-id="${recordId}"] button.save`);
  await alicePage.waitForSelector(`#dns-records tr[data-id="${recordId}"] .conflict`);
  await shot(alicePage, "02-alice-conflict", "alice's console: her alert (read), chat, and a DNS edit refused with the newer version shown");
  await alicePage.click(`#dns-records tr[data-id="${recordId}"] button.keep-mine`);
  await alicePage.click(`#dns-records tr[data-id="${recordId}"] button.save`);
  await alicePage.waitForFunction(
    ({ id, version }) => document.querySelector(`#dns-records tr[data-id="${id}"] .version`)?.textContent === `v${version}`,
    { id: recordId, version: record.version + 2 },
  ).catch(async (err) => {
    throw new Error(`${err.message}; dns-error: ${await alicePage.textContent("#dns-error")}; row: ${await alicePage.textContent(`#dns-records tr[data-id="${recordId}"]`)}`);
  });
  await staffPage.click("#dns-export");
  await staffPage.waitForSelector("#dns-export-text:not([hidden])");
  if (!(await staffPage.textContent("#dns-export-text")).includes("$ORIGIN")) throw new Error("export shows no zone file");

  step("check-ins: the board and the per-hour chart follow a live check-in");
  const sum = () => staffPage.evaluate(() => window.roomcastCharts.perHour.data.datasets[0].data.reduce((a, b) => a + b, 0));
  const before = await sum();
  const member = (await staff.get("/members")).items.find((m) => m.status === "out" && m.membership_status === "active");
  await staff.post("/checkins", { member_id: member.id });
  await staffPage.waitForFunction((n) => window.roomcastCharts.perHour.data.datasets[0].data.reduce((a, b) => a + b, 0) === n + 1, before);
  await staffPage.waitForSelector(`#checkins-members tr[data-id="${member.id}"] .pill.in`);

  step("the revenue chart gains a point when an invoice is paid");
  const points = await staffPage.evaluate(() => window.roomcastCharts.revenue.data.labels.length);
  const sub = await alice.post("/subscriptions", { plan: "gym", status: "active", price_cents: 2500 });
  const invoice = await alice.post("/invoices", { subscription_id: sub.id, amount_cents: 2500, status: "pending", due_date: "2026-12-31" });
  await alice.post(`/invoices/${invoice.id}/pay`);
  await staffPage.waitForFunction((n) => window.roomcastCharts.revenue.data.labels.length > n, points);
  await staffPage.waitForFunction(() => window.roomcastCharts.sockets.data.datasets[0].data.some((n) => n > 0));
  await shot(staffPage, "03-staff-console", "the staff console: figures, live charts, front desk, alerts, chat, DNS");

  step("the API documents render offline");
  await staffPage.goto(`${BASE_URL}/docs`);
  await staffPage.waitForSelector(".opblock-tag", { timeout: 30000 });
  await shot(staffPage, "04-openapi", "Swagger UI at /docs from the vendored swagger-ui-dist");
  await staffPage.goto(`${BASE_URL}/docs/asyncapi`);
  await staffPage.waitForSelector("section.channel[data-namespace='/dns'] details.op");
  await staffPage.click("section.channel[data-namespace='/dns'] details.op summary");
  await shot(staffPage, "05-asyncapi", "the AsyncAPI page at /docs/asyncapi, one section per namespace");

  step("sign out");
  await alicePage.click("#logout");
  await alicePage.waitForSelector("#login-panel:not([hidden])");
  await staff.logout();
  await alice.logout().catch(() => {});
  console.log(JSON.stringify({ ok: true, screenshots: shots }));
} catch (err) {
  problems.unshift(err.stack ?? String(err));
} finally {
  await browser.close();
}
if (problems.length) {
  console.error(problems.join("\n"));
  console.error(JSON.stringify({ screenshots: shots }));
  process.exit(1);
}

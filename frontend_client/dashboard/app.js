// The Roomcast staff console: one page over the five namespaces, plain DOM, no build step.
// Each panel lives in panels/<name>.js and gets a context: {client, open(namespace), bus}.

import { $ } from "./dom.js";
import { CookieSession } from "./session.js";
import { startAlerts } from "./panels/alerts.js";
import { startChat } from "./panels/chat.js";
import { startCheckins } from "./panels/checkins.js";
import { startDns } from "./panels/dns.js";
import { startOverview } from "./panels/overview.js";
import { recoveryLog, watchRecovery } from "./recovery.js";

let client = null;

function setStatus(namespace, text, state) {
  const node = document.querySelector(`.status[data-ns="${namespace}"]`);
  if (!node) return;
  node.dataset.state = state;
  node.className = `status ${state}`;
  node.title = `${namespace}: ${text}`;
}

/** Open a namespace socket with its live indicator wired.
 *
 * `onGreeting` loads the panel's state (over REST or a socket call). It runs on the first
 * connect; after a reconnect the missed events are replayed instead, and it runs again only
 * on a gap (or on every connect with `everyConnect`, for state the socket itself holds, such
 * as a joined chat room). */
function open(namespace, onGreeting, { everyConnect = false } = {}) {
  const sock = client.connect(namespace);
  let greeted = false;
  window.roomcastSockets[namespace] = sock; // for the browser tests and the curious
  setStatus(namespace, "connecting", "");
  sock.on("connection_established", (greeting) => {
    setStatus(namespace, "live", "up");
    if (!greeted || everyConnect) onGreeting?.(greeting);
    greeted = true;
  });
  watchRecovery(sock, namespace, () => onGreeting?.(sock.greeting));
  sock.on("disconnect", (reason) => setStatus(namespace, `offline (${reason})`, "down"));
  sock.on("connect_error", (err) => setStatus(namespace, `refused: ${err.reason ?? err.code}`, "down"));
  sock.on("token_refresh_failed", (err) => setStatus(namespace, `session ended: ${err.code}`, "down"));
  return sock;
}
window.roomcastSockets = {};
window.roomcastRecovery = recoveryLog;

function showLogin() {
  $("booting").hidden = true;
  $("panels").hidden = true;
  $("session").hidden = true;
  $("live").hidden = true;
  $("login-panel").hidden = false;
  $("login-email").focus();
}

function start(user) {
  $("who").textContent = `${user.first_name || user.email}${user.is_staff ? " · staff" : ""}`;
  $("booting").hidden = true;
  $("login-panel").hidden = true;
  $("session").hidden = false;
  $("live").hidden = false;
  $("panels").hidden = false;
  // A small event bus lets the overview chart what the other panels hear.
  const bus = new EventTarget();
  const ctx = { client, user, open, bus };
  startOverview(ctx);
  startCheckins(ctx);
  startAlerts(ctx);
  startChat(ctx);
  startDns(ctx);
  $("main").focus();
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  const candidate = new CookieSession();
  try {
    await candidate.login($("login-email").value.trim(), $("login-password").value);
  } catch (err) {
    $("login-error").textContent = `${err.code ?? "error"}: ${err.message ?? err}`;
    return;
  }
  $("login-password").value = "";
  client = candidate;
  start(client.user);
});

$("logout").addEventListener("click", async () => {
  const leaving = client;
  client = null;
  try {
    await leaving?.logout();
  } finally {
    location.reload(); // a clean page: no listener or socket of the old session survives
  }
});

async function boot() {
  const session = new CookieSession();
  let user = null;
  try {
    user = await session.resume();
  } catch {
    user = null;
  }
  if (!user) return showLogin();
  client = session;
  start(user);
}

boot();

// The Roomcast dashboard: one page, five namespaces, plain DOM.
//
// Server data is only ever rendered with textContent / text nodes (never innerHTML): a chat
// body or an alert title is text, whatever characters it holds.

import { RoomcastClient } from "../src/roomcast.js";

const $ = (id) => document.getElementById(id);

/** Build an element; string children become text nodes. */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : "");

function showError(id, err) {
  $(id).textContent = err ? `${err.code ?? "error"}: ${err.message ?? err}` : "";
}

function setStatus(namespace, text, state) {
  const node = document.querySelector(`.status[data-ns="${namespace}"]`);
  if (!node) return;
  node.textContent = text;
  node.className = `status ${state}`;
}

let client = null;

// --- session ---------------------------------------------------------------------------------

function showLogin() {
  $("panels").hidden = true;
  $("session").hidden = true;
  $("login-panel").hidden = false;
  for (const id of ["alerts-list", "chat-messages", "chat-present", "checkins-members", "checkins-log", "dns-records", "dns-zone", "analytics-stats", "analytics-global"]) {
    $(id).replaceChildren();
  }
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  showError("login-error", null);
  const candidate = new RoomcastClient({ baseUrl: location.origin });
  try {
    await candidate.login($("login-email").value.trim(), $("login-password").value);
  } catch (err) {
    showError("login-error", err);
    return;
  }
  $("login-password").value = "";
  client = candidate;
  start();
});

$("logout").addEventListener("click", async () => {
  const leaving = client;
  client = null;
  try {
    await leaving?.logout();
  } finally {
    showLogin();
  }
});

function start() {
  const user = client.user;
  $("who").textContent = `${user.first_name || user.email}${user.is_staff ? " (staff)" : ""}`;
  $("session").hidden = false;
  $("login-panel").hidden = true;
  $("panels").hidden = false;
  startAlerts();
  startChat();
  startCheckins();
  startAnalytics();
  startDns();
}

/** Open a namespace socket with the status line and the re-greeting hook wired. */
function open(namespace, onGreeting) {
  const sock = client.connect(namespace);
  setStatus(namespace, "connecting…", "");
  sock.on("connection_established", (greeting) => {
    setStatus(namespace, "live", "up");
    onGreeting?.(greeting);
  });
  sock.on("disconnect", (reason) => setStatus(namespace, `offline (${reason})`, "down"));
  sock.on("connect_error", (err) => setStatus(namespace, `refused: ${err.reason ?? err.code}`, "down"));
  sock.on("token_refresh_failed", (err) => setStatus(namespace, `session ended: ${err.code}`, "down"));
  return sock;
}

// --- /alerts ---------------------------------------------------------------------------------

function startAlerts() {
  const sock = open("/alerts", async () => {
    try {
      const alerts = await sock.list({ limit: 50 });
      $("alerts-list").replaceChildren(...alerts.map((a) => alertItem(a, sock)));
      showError("alerts-error", null);
    } catch (err) {
      showError("alerts-error", err);
    }
  });
  sock.on("unread_count", ({ count }) => {
    $("alerts-unread").textContent = String(count);
    $("alerts-unread").classList.toggle("zero", count === 0);
  });
  sock.on("breach_alert", ({ message: alert }) => {
    if (!document.querySelector(`#alerts-list li[data-id="${Number(alert.id)}"]`)) {
      $("alerts-list").prepend(alertItem(alert, sock));
    }
  });
  sock.on("alert_update", ({ alert_id: id, update_type: kind }) => {
    const item = document.querySelector(`#alerts-list li[data-id="${Number(id)}"]`);
    if (item && kind === "marked_read") markItemRead(item);
  });
}

function alertItem(alert, sock) {
  const mine = alert.user_id === undefined || alert.user_id === client.user.id;
  const item = el(
    "li",
    { class: alert.read ? "" : "unread", dataset: { id: alert.id } },
    el("span", { class: `sev sev-${alert.severity}`, text: alert.severity }),
    el("span", { class: "title", text: alert.title }),
    " ",
    el("span", { class: "muted", text: `${time(alert.detected_at)} · confidence ${alert.confidence}${mine ? "" : ` · user ${alert.user_id}`}` }),
  );
  if (!alert.read && mine) {
    item.append(
      " ",
      el("button", {
        type: "button",
        class: "mark-read",
        text: "Mark read",
        onclick: async () => {
          try {
            await sock.markRead(alert.id);
            markItemRead(item);
          } catch (err) {
            showError("alerts-error", err);
          }
        },
      }),
    );
  }
  return item;
}

function markItemRead(item) {
  item.classList.remove("unread");
  item.querySelector("button.mark-read")?.remove();
}

// --- /chat -----------------------------------------------------------------------------------

const ROOM = "general";
// Events name their room by slug; accept a Room object too.
const inRoom = (room) => (room && typeof room === "object" ? room.slug : room) === ROOM;

function startChat() {
  const present = new Map();
  const renderPresent = () => {
    $("chat-present").textContent = [...present.values()].map((u) => u.name).join(", ") || "nobody";
  };
  const key = (user) => (user.id === null || user.id === undefined ? `guest:${user.name}` : `user:${user.id}`);
  const addMessage = (message) => {
    if (document.querySelector(`#chat-messages li[data-id="${Number(message.id)}"]`)) return;
    const list = $("chat-messages");
    list.append(
      el(
        "li",
        { dataset: { id: message.id } },
        el("span", { class: "muted", text: `${time(message.created_at)} ` }),
        el("strong", { text: message.author?.name ?? "?" }),
        ": ",
        el("span", { class: "body", text: message.body }),
      ),
    );
    list.scrollTop = list.scrollHeight;
  };

  const sock = open("/chat", async () => {
    try {
      const joined = await sock.join(ROOM);
      $("chat-messages").replaceChildren();
      joined.history.forEach(addMessage);
      present.clear();
      for (const user of joined.present) present.set(key(user), user);
      renderPresent();
      showError("chat-error", null);
    } catch (err) {
      showError("chat-error", err);
    }
  });
  sock.on("message", (message) => {
    if (inRoom(message.room)) addMessage(message);
  });
  sock.on("presence", ({ room, user, action }) => {
    if (!inRoom(room)) return;
    if (action === "joined") present.set(key(user), user);
    else present.delete(key(user));
    renderPresent();
  });
  let typingTimer = null;
  sock.on("typing", ({ room, user }) => {
    if (!inRoom(room)) return;
    $("chat-typing").textContent = `${user.name} is typing…`;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => ($("chat-typing").textContent = ""), 3000);
  });

  let lastTyping = 0;
  $("chat-input").oninput = () => {
    if (Date.now() - lastTyping > 2000) {
      lastTyping = Date.now();
      sock.typing(ROOM);
    }
  };
  $("chat-form").onsubmit = async (event) => {
    event.preventDefault();
    const body = $("chat-input").value;
    if (!body.trim()) return;
    try {
      // A client_id makes a retry after a lost ack safe: the server stores the message once.
      await sock.send(ROOM, body, crypto.randomUUID());
      $("chat-input").value = "";
      showError("chat-error", null);
    } catch (err) {
      showError("chat-error", err);
    }
  };
}

// --- /checkins -------------------------------------------------------------------------------

function startCheckins() {
  const rows = new Map();
  const sock = open("/checkins", async () => {
    try {
      const { items } = await client.get("/members");
      rows.clear();
      $("checkins-members").replaceChildren(...items.map(memberRow));
      showError("checkins-error", null);
    } catch (err) {
      if (err.code === "forbidden") $("checkins-error").textContent = "(members are listed for staff only)";
      else showError("checkins-error", err);
    }
  });

  function memberRow(member) {
    const status = el("td", { class: "status-cell", text: member.status });
    const act = async () => {
      try {
        const checkedIn = status.textContent === "in";
        await (checkedIn ? sock.checkOut(member.id) : sock.checkIn(member.id));
        setMemberStatus(member.id, checkedIn ? "out" : "in");
        showError("checkins-error", null);
      } catch (err) {
        showError("checkins-error", err);
      }
    };
    const row = el(
      "tr",
      { dataset: { id: member.id } },
      el("td", { text: member.name }),
      el("td", { text: member.membership_status }),
      status,
      el("td", {}, el("button", { type: "button", text: "Check in / out", onclick: act })),
    );
    rows.set(member.id, row);
    return row;
  }

  function setMemberStatus(memberId, status) {
    const row = rows.get(memberId);
    if (row) row.querySelector(".status-cell").textContent = status;
  }

  sock.on("stats", (stats) => {
    $("checkins-stats").textContent = `checked in now: ${stats.checked_in_now} · check-ins today: ${stats.checkins_today}`;
  });
  sock.on("member_status", ({ member_id: id, status }) => setMemberStatus(id, status));
  const log = (verb) => ({ checkin, member }) => {
    setMemberStatus(member.id, member.status ?? (verb === "checked in" ? "in" : "out"));
    const at = verb === "checked in" ? checkin.checked_in_at : checkin.checked_out_at;
    $("checkins-log").prepend(el("li", { text: `${time(at)} ${member.name} ${verb}` }));
  };
  sock.on("checkin", log("checked in"));
  sock.on("checkout", log("checked out"));
}

// --- /analytics ------------------------------------------------------------------------------

const FIGURES = [
  ["active_subscriptions", "active subscriptions"],
  ["total_invoices", "invoices"],
  ["paid_invoices", "paid"],
  ["pending_invoices", "pending"],
  ["overdue_invoices", "overdue"],
  ["revenue_paid_cents", "revenue paid"],
];

function renderFigures(target, stats) {
  const parts = [];
  for (const [key, label] of FIGURES) {
    let value = stats[key];
    if (key === "revenue_paid_cents" && typeof value === "number") value = (value / 100).toFixed(2);
    parts.push(el("dt", { text: label }), el("dd", { dataset: { key }, text: value ?? "–" }));
  }
  parts.push(el("dt", { text: "as of" }), el("dd", { text: time(stats.as_of) }));
  target.replaceChildren(...parts);
}

function startAnalytics() {
  const sock = open("/analytics");
  sock.on("stats", (stats) => renderFigures($("analytics-stats"), stats));
  sock.on("global_stats", (stats) => {
    $("analytics-global-box").hidden = false;
    renderFigures($("analytics-global"), stats);
  });
  $("analytics-refresh").onclick = async () => {
    try {
      renderFigures($("analytics-stats"), await sock.refresh());
      showError("analytics-error", null);
    } catch (err) {
      showError("analytics-error", err);
    }
  };
}

// --- /dns ------------------------------------------------------------------------------------

function startDns() {
  let zoneId = null;
  const select = $("dns-zone");

  const sock = open("/dns", async () => {
    try {
      const { items } = await client.get("/zones");
      select.replaceChildren(...items.map((z) => el("option", { value: z.id, text: z.name })));
      if (items.length && !items.some((z) => z.id === zoneId)) zoneId = items[0].id;
      if (zoneId !== null) {
        select.value = String(zoneId);
        await subscribe(zoneId);
      }
      showError("dns-error", null);
    } catch (err) {
      showError("dns-error", err);
    }
  });

  async function subscribe(id) {
    const { records } = await sock.subscribe(id);
    $("dns-records").replaceChildren(...records.map(recordRow));
  }

  select.onchange = async () => {
    const previous = zoneId;
    zoneId = Number(select.value);
    try {
      if (previous !== null && previous !== zoneId) await sock.unsubscribe(previous);
      await subscribe(zoneId);
      showError("dns-error", null);
    } catch (err) {
      showError("dns-error", err);
    }
  };

  function recordRow(record) {
    return el(
      "tr",
      { dataset: { id: record.id } },
      el("td", { text: record.type }),
      el("td", { text: record.name }),
      el("td", { text: record.content }),
      el("td", { text: record.ttl }),
      el("td", { text: record.priority ?? "" }),
      el("td", { text: record.version }),
      el(
        "td",
        {},
        el("button", {
          type: "button",
          text: "Delete",
          onclick: async () => {
            try {
              await sock.deleteRecord(record.id);
            } catch (err) {
              showError("dns-error", err);
            }
          },
        }),
      ),
    );
  }

  const rowOf = (id) => document.querySelector(`#dns-records tr[data-id="${Number(id)}"]`);
  const flash = (row) => {
    row.classList.add("flash");
    return row;
  };
  // Staff sockets receive every zone's events: keep the selected zone's only.
  sock.on("record_created", ({ zone_id: zone, record }) => {
    if (zone === zoneId && !rowOf(record.id)) $("dns-records").append(flash(recordRow(record)));
  });
  sock.on("record_updated", ({ zone_id: zone, record }) => {
    const row = rowOf(record.id);
    if (zone === zoneId && row) row.replaceWith(flash(recordRow(record)));
  });
  sock.on("record_deleted", ({ zone_id: zone, id }) => {
    if (zone === zoneId) rowOf(id)?.remove();
  });

  $("dns-form").onsubmit = async (event) => {
    event.preventDefault();
    if (zoneId === null) return showError("dns-error", { code: "no zone", message: "no zone selected" });
    const record = {
      zone_id: zoneId,
      type: $("dns-type").value,
      name: $("dns-name").value.trim(),
      content: $("dns-content").value.trim(),
    };
    if ($("dns-ttl").value) record.ttl = Number($("dns-ttl").value);
    if ($("dns-priority").value) record.priority = Number($("dns-priority").value);
    try {
      await sock.createRecord(record);
      $("dns-name").value = $("dns-content").value = "";
      showError("dns-error", null);
    } catch (err) {
      const fields = Object.entries(err.fields ?? {}).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
      showError("dns-error", { code: err.code, message: [err.message, ...fields].join("; ") });
    }
  };
}

showLogin();

// Breach alerts: the caller's (staff: everyone's live feed too), filtered by read state,
// severity and title; "Mark read" reaches every tab of that user.

import { $, el, fill, showError, dateTime } from "../dom.js";

export function startAlerts({ client, open, bus }) {
  const alerts = new Map();
  const list = $("alerts-list");

  const render = () => {
    const unreadOnly = $("alerts-unread-only").checked;
    const severity = $("alerts-severity").value;
    const search = $("alerts-search").value.trim().toLowerCase();
    const shown = [...alerts.values()]
      .filter((a) => !unreadOnly || !a.read)
      .filter((a) => !severity || a.severity === severity)
      .filter((a) => !search || a.title.toLowerCase().includes(search))
      .sort((a, b) => (b.detected_at ?? "").localeCompare(a.detected_at ?? "") || b.id - a.id)
      .map(item);
    fill(list, shown, alerts.size ? "No alert matches these filters." : "No breach alerts: nothing of yours was found in a breach. New ones appear here live.");
  };

  function item(alert) {
    const mine = alert.user_id === undefined || alert.user_id === client.user.id;
    return el(
      "li",
      { class: alert.read ? "" : "unread", dataset: { id: alert.id } },
      el("span", { class: `sev sev-${alert.severity}`, text: alert.severity }),
      el("span", { class: "title", text: alert.title }),
      !alert.read && mine
        ? el("button", {
            type: "button",
            class: "mark-read small",
            text: "Mark read",
            "aria-label": `Mark read: ${alert.title}`,
            onclick: async () => {
              try {
                await sock.markRead(alert.id);
                alert.read = true;
                render();
              } catch (err) {
                showError("alerts-error", err);
              }
            },
          })
        : null,
      el("span", { class: "meta", text: `${dateTime(alert.detected_at)} · confidence ${Math.round(alert.confidence * 100)}% · ${alert.breach_id}${mine ? "" : ` · user ${alert.user_id}`}` }),
    );
  }

  // The list over REST: on the first connect, and again after a gap in the replay. Alerts
  // pushed while that request is in flight may be missing from its answer: they are kept.
  let arriving = null;
  const sock = open("/alerts", async () => {
    const live = (arriving = new Map());
    try {
      const { items } = await client.get("/alerts?limit=100");
      alerts.clear();
      for (const a of items) alerts.set(a.id, a);
      for (const [id, a] of live) if (!alerts.has(id)) alerts.set(id, a);
      render();
      showError("alerts-error", null);
    } catch (err) {
      showError("alerts-error", err);
    } finally {
      if (arriving === live) arriving = null;
    }
  });
  sock.on("unread_count", ({ count }) => {
    $("alerts-unread").textContent = String(count);
    $("alerts-unread").classList.toggle("zero", count === 0);
    bus.dispatchEvent(new CustomEvent("unread", { detail: count }));
  });
  sock.on("breach_alert", ({ message: alert }) => {
    alerts.set(alert.id, alert);
    if (arriving) arriving.set(alert.id, alert);
    render();
  });
  sock.on("alert_update", ({ alert_id: id, update_type: kind }) => {
    const alert = alerts.get(id);
    if (alert && kind === "marked_read") {
      alert.read = true;
      render();
    }
  });
  for (const id of ["alerts-unread-only", "alerts-severity"]) $(id).onchange = render;
  $("alerts-search").oninput = render;
  render();
}

// The front desk: every member with a status pill, one-click check in / out, a live log.
// Staff see every member; a user the member linked to their account.

import { $, el, fill, showError, time } from "../dom.js";

export function startCheckins({ client, user, open, bus }) {
  const members = new Map();
  const body = $("checkins-members");

  const render = () => {
    const wanted = $("checkins-filter").value;
    const search = $("checkins-search").value.trim().toLowerCase();
    const rows = [...members.values()]
      .filter((m) => wanted === "all" || m.status === wanted)
      .filter((m) => !search || m.name.toLowerCase().includes(search))
      .sort((a, b) => (a.status === b.status ? a.name.localeCompare(b.name) : a.status === "in" ? -1 : 1))
      .map(row);
    const none = members.size
      ? "Nobody matches this filter."
      : user.is_staff
        ? "No members yet: add them with POST /api/v1/members (see /docs), then check them in here."
        : "No gym membership is linked to your account yet: ask the front desk to link it.";
    if (rows.length) body.replaceChildren(...rows);
    else body.replaceChildren(el("tr", {}, el("td", { colspan: 4 }, el("p", { class: "empty", text: none }))));
  };

  function row(member) {
    const inside = member.status === "in";
    const act = async () => {
      try {
        await (inside ? sock.checkOut(member.id) : sock.checkIn(member.id));
        showError("checkins-error", null);
      } catch (err) {
        showError("checkins-error", err);
      }
    };
    return el(
      "tr",
      { dataset: { id: member.id }, class: member.flash ? "flash" : "" },
      el("td", { text: member.name }),
      el("td", {}, el("span", { class: `pill ${member.membership_status}`, text: member.membership_status })),
      el("td", { class: "status-cell" }, el("span", { class: `pill ${member.status}`, text: inside ? "in" : "out" })),
      el("td", { class: "actions" }, el("button", { type: "button", class: inside ? "" : "primary", text: inside ? "Check out" : "Check in", "aria-label": `${inside ? "Check out" : "Check in"} ${member.name}`, onclick: act })),
    );
  }

  const setStatus = (id, status) => {
    if (arriving) arriving.set(id, status);
    const member = members.get(id);
    if (!member) return;
    member.status = status;
    member.flash = true;
    render();
    member.flash = false;
  };

  // The list over REST on connect: statuses pushed while it is in flight may be newer than
  // its answer, so they are applied over it.
  let arriving = null;
  const sock = open("/checkins", async () => {
    const live = (arriving = new Map());
    try {
      const { items } = await client.get("/members?limit=100");
      members.clear();
      for (const m of items) members.set(m.id, m);
      for (const [id, status] of live) if (members.has(id)) members.get(id).status = status;
      render();
      showError("checkins-error", null);
    } catch (err) {
      showError("checkins-error", err);
    } finally {
      if (arriving === live) arriving = null;
    }
  });
  $("checkins-filter").onchange = render;
  $("checkins-search").oninput = render;

  sock.on("stats", (stats) => {
    $("checkins-stats").textContent = `${stats.checked_in_now} in the gym now · ${stats.checkins_today} check-ins today`;
    bus.dispatchEvent(new CustomEvent("checkin-stats", { detail: stats }));
  });
  sock.on("member_status", ({ member_id: id, status }) => setStatus(id, status));
  const log = (verb) => ({ checkin, member }) => {
    if (!members.has(member.id)) members.set(member.id, member);
    setStatus(member.id, member.status ?? (verb === "checked in" ? "in" : "out"));
    const at = verb === "checked in" ? checkin.checked_in_at : checkin.checked_out_at;
    $("checkins-log").querySelector(".empty")?.remove();
    $("checkins-log").prepend(el("li", { class: "flash" }, el("strong", { text: member.name }), ` ${verb} `, el("span", { class: "muted", text: time(at) })));
    if (verb === "checked in") bus.dispatchEvent(new CustomEvent("checkin", { detail: checkin }));
  };
  sock.on("checkin", log("checked in"));
  sock.on("checkout", log("checked out"));
  if (!user.is_staff) {
    $("checkins-stats").textContent = "Your membership; staff see the whole board.";
  }
  fill($("checkins-log"), [], "Check-ins and check-outs appear here as they happen.");
}

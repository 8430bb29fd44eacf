// Chat: the rooms the caller may enter, switching between them (leave + join), private
// rooms with members, older history on demand, typing and presence.

import { $, el, fill, showError, time } from "../dom.js";

const slugOf = (room) => (room && typeof room === "object" ? room.slug : room);

export function startChat({ client, user, open, bus }) {
  let current = null; // the joined room object
  let oldestId = null;
  const rooms = new Map();
  const present = new Map();
  const key = (u) => (u.id === null || u.id === undefined ? `guest:${u.name}` : `user:${u.id}`);

  const renderPresent = () => {
    $("chat-present").textContent = [...present.values()].map((u) => u.name).join(", ") || "nobody";
  };
  const messageItem = (m) =>
    el(
      "li",
      { class: "msg", dataset: { id: m.id } },
      el("span", { class: "muted", text: `${time(m.created_at)} ` }),
      el("strong", { text: m.author?.name ?? "?" }),
      el("span", { class: "body", text: m.body }),
    );
  const addMessage = (m) => {
    const list = $("chat-messages");
    if (list.querySelector(`li[data-id="${Number(m.id)}"]`)) return;
    list.querySelector(".empty")?.remove();
    list.append(messageItem(m));
    list.scrollTop = list.scrollHeight;
  };

  const renderRooms = () => {
    const items = [...rooms.values()].map((room) =>
      el(
        "li",
        {},
        el(
          "button",
          { type: "button", dataset: { slug: room.slug }, "aria-current": room.slug === slugOf(current) ? "true" : "false", onclick: () => switchTo(room.slug) },
          el("span", { text: `#${room.slug}` }),
          el("span", { class: "kind", text: room.kind }),
        ),
      ),
    );
    fill($("chat-rooms"), items, "No rooms you may enter.");
  };

  // Messages of the room being joined that arrive before the join's answer (sent after the
  // server entered us into the room, possibly after it read the history): kept, then shown.
  let joining = null;
  async function switchTo(slug) {
    const early = (joining = { slug, messages: [] });
    try {
      if (current && slugOf(current) !== slug) await sock.leave(slugOf(current));
      const joined = await sock.join(slug);
      current = joined.room;
      oldestId = joined.history.length ? joined.history[0].id : null;
      fill($("chat-messages"), joined.history.map(messageItem), `No messages in #${slug} yet: say hello.`);
      for (const m of early.messages) addMessage(m); // addMessage skips what history had
      const list = $("chat-messages");
      list.scrollTop = list.scrollHeight;
      present.clear();
      for (const u of joined.present) present.set(key(u), u);
      renderPresent();
      $("chat-room-title").textContent = `#${current.slug} · ${current.kind}`;
      $("chat-input").placeholder = `Message #${current.slug}`;
      $("chat-older").hidden = joined.history.length < 50;
      $("chat-member-form").hidden = current.kind !== "private";
      $("chat-typing").textContent = "";
      renderRooms();
      showError("chat-error", null);
    } catch (err) {
      showError("chat-error", err);
    } finally {
      if (joining === early) joining = null;
    }
  }

  async function loadRooms() {
    const { items } = await client.get("/chat/rooms");
    rooms.clear();
    for (const room of items) rooms.set(room.slug, room);
    renderRooms();
  }

  const sock = open("/chat", async () => {
    try {
      await loadRooms();
      const slug = current ? slugOf(current) : rooms.has("general") ? "general" : [...rooms.keys()][0];
      current = null; // a reconnect has left every room: join again
      if (slug) await switchTo(slug);
    } catch (err) {
      showError("chat-error", err);
    }
  }, { everyConnect: true }); // rooms are per connection: join again (the join replays)
  const here = (room) => current && slugOf(room) === slugOf(current);
  sock.on("message", (m) => {
    if (joining && slugOf(m.room) === joining.slug) joining.messages.push(m);
    else if (here(m.room)) addMessage(m);
  });
  sock.on("presence", ({ room, user: who, action }) => {
    if (!here(room)) return;
    if (action === "joined") present.set(key(who), who);
    else present.delete(key(who));
    renderPresent();
    bus.dispatchEvent(new Event("presence"));
  });
  let typingTimer = null;
  sock.on("typing", ({ room, user: who }) => {
    if (!here(room)) return;
    $("chat-typing").textContent = `${who.name} is typing…`;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => ($("chat-typing").textContent = ""), 3000);
  });

  let lastTyping = 0;
  $("chat-input").oninput = () => {
    if (current && Date.now() - lastTyping > 2000) {
      lastTyping = Date.now();
      sock.typing(slugOf(current));
    }
  };
  $("chat-form").onsubmit = async (event) => {
    event.preventDefault();
    const body = $("chat-input").value;
    if (!body.trim() || !current) return;
    try {
      // A client_id makes a retry after a lost ack safe: the server stores the message once.
      addMessage(await sock.send(slugOf(current), body, crypto.randomUUID()));
      $("chat-input").value = "";
      showError("chat-error", null);
    } catch (err) {
      showError("chat-error", err);
    }
  };
  $("chat-older").onclick = async () => {
    if (!current || oldestId === null) return;
    try {
      const older = await sock.history(slugOf(current), { beforeId: oldestId, limit: 50 });
      if (older.length) oldestId = older[0].id;
      $("chat-messages").prepend(...older.map(messageItem));
      $("chat-older").hidden = older.length < 50;
    } catch (err) {
      showError("chat-error", err);
    }
  };
  $("chat-room-form").onsubmit = async (event) => {
    event.preventDefault();
    try {
      const room = await client.post("/chat/rooms", { slug: $("chat-room-slug").value.trim(), name: $("chat-room-name").value.trim(), kind: $("chat-room-kind").value });
      $("chat-room-slug").value = $("chat-room-name").value = "";
      $("chat-new-room").open = false;
      await loadRooms();
      await switchTo(room.slug);
    } catch (err) {
      showError("chat-error", err);
    }
  };
  $("chat-member-form").onsubmit = async (event) => {
    event.preventDefault();
    try {
      const added = await client.post(`/chat/rooms/${encodeURIComponent(slugOf(current))}/members`, { user_id: Number($("chat-member-id").value) });
      $("chat-member-id").value = "";
      $("chat-error").textContent = `${added.user.name} may now join #${added.room}.`;
    } catch (err) {
      showError("chat-error", err);
    }
  };
  if (!user.is_staff) $("chat-room-kind").querySelector('option[value="staff"]').remove();
}

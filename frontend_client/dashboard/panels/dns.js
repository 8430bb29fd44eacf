// DNS: pick a zone, watch its records live, edit one in place (the version you saw travels
// with the change: if someone saved first, the conflict shows their record), add and delete
// records, add zones, export and import BIND zone files.

import { $, el, showError } from "../dom.js";

const FIELDS = ["type", "name", "content", "ttl", "priority"];

export function startDns({ client, open }) {
  let zoneId = null;
  const records = new Map();
  const editing = new Set();
  const select = $("dns-zone");
  const body = $("dns-records");

  const rowOf = (id) => body.querySelector(`tr[data-id="${Number(id)}"]`);
  const empty = (text) => el("tr", { class: "empty-row" }, el("td", { colspan: 7 }, el("p", { class: "empty", text })));

  function render() {
    if (zoneId === null) {
      body.replaceChildren(empty("No zone yet: add one above (e.g. example.org), then add its records."));
      return;
    }
    const rows = [...records.values()].sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type));
    if (!rows.length) body.replaceChildren(empty("This zone has no records: add one below, or import a zone file."));
    else body.replaceChildren(...rows.map((r) => (editing.has(r.id) ? editRow(r) : viewRow(r))));
  }

  function viewRow(record, flash = false) {
    return el(
      "tr",
      { dataset: { id: record.id }, class: flash ? "flash" : "" },
      el("td", { text: record.type }),
      el("td", { text: record.name }),
      el("td", { class: "content", text: record.content }),
      el("td", { text: record.ttl }),
      el("td", { text: record.priority ?? "" }),
      el("td", { class: "version", text: `v${record.version}` }),
      el(
        "td",
        { class: "actions" },
        el("button", { type: "button", class: "edit small", text: "Edit", "aria-label": `Edit ${record.type} ${record.name}`, onclick: () => startEdit(record.id) }),
        " ",
        el("button", { type: "button", class: "delete small danger", text: "Delete", "aria-label": `Delete ${record.type} ${record.name}`, onclick: () => remove(record.id) }),
      ),
    );
  }

  function editRow(record) {
    const inputs = {};
    const cell = (field, attrs = {}) => {
      inputs[field] = el("input", { value: record[field] ?? "", "aria-label": field, name: field, ...attrs });
      return el("td", {}, inputs[field]);
    };
    const note = el("div", { class: "conflict-box" });
    const save = async () => {
      const changes = {};
      for (const field of FIELDS) {
        const raw = inputs[field].value.trim();
        const value = field === "ttl" || field === "priority" ? (raw === "" ? null : Number(raw)) : raw;
        if (value !== (record[field] ?? null) && !(field === "priority" && value === null && record.priority == null)) changes[field] = value;
      }
      try {
        const saved = await sock.updateRecord(record.id, record.version, changes);
        records.set(saved.id, saved);
        editing.delete(saved.id);
        render();
        showError("dns-error", null);
      } catch (err) {
        if (err.code === "conflict" && err.fields?.current) {
          const theirs = err.fields.current;
          note.replaceChildren(
            el(
              "p",
              { class: "conflict", role: "alert" },
              `Someone saved this record first (now v${theirs.version}: ${theirs.type} ${theirs.name} ${theirs.content}). `,
              el("button", { type: "button", class: "small use-theirs", text: "Use theirs", onclick: () => { records.set(theirs.id, theirs); editing.delete(theirs.id); render(); } }),
              " ",
              el("button", { type: "button", class: "small keep-mine", text: "Keep editing mine", onclick: () => { record.version = theirs.version; note.replaceChildren(); } }),
            ),
          );
        } else showError("dns-error", err);
      }
    };
    const row = el(
      "tr",
      { dataset: { id: record.id }, class: "editing" },
      cell("type", { size: 5 }),
      cell("name"),
      el("td", {}, (inputs.content = el("input", { value: record.content, "aria-label": "content", name: "content" })), note),
      cell("ttl", { type: "number", min: 60, max: 604800 }),
      cell("priority", { type: "number", min: 0, max: 65535 }),
      el("td", { class: "version", text: `v${record.version}` }),
      el(
        "td",
        { class: "actions" },
        el("button", { type: "button", class: "save small primary", text: "Save", onclick: save }),
        " ",
        el("button", { type: "button", class: "cancel small", text: "Cancel", onclick: () => { editing.delete(record.id); render(); } }),
      ),
    );
    row.addEventListener("keydown", (event) => {
      if (event.key === "Enter") save();
      if (event.key === "Escape") { editing.delete(record.id); render(); }
    });
    return row;
  }

  function startEdit(id) {
    editing.add(id);
    render();
    rowOf(id)?.querySelector('input[name="content"]')?.focus();
  }

  async function remove(id) {
    try {
      await sock.deleteRecord(id);
    } catch (err) {
      showError("dns-error", err);
    }
  }

  // Record events of the zone that arrive while its subscribe is in flight may be newer than
  // the answer's rows: they are applied over them, in order.
  let arriving = null;
  async function subscribe(id) {
    const early = (arriving = { zone: id, events: [] });
    let rows;
    try {
      ({ records: rows } = await sock.subscribe(id));
    } finally {
      if (arriving === early) arriving = null;
    }
    records.clear();
    editing.clear();
    for (const r of rows) records.set(r.id, r);
    for (const [kind, value] of early.events) {
      if (kind === "set") records.set(value.id, value);
      else records.delete(value);
    }
    $("dns-export-text").hidden = true;
    render();
  }

  async function loadZones(prefer = null) {
    const { items } = await client.get("/zones");
    select.replaceChildren(...items.map((z) => el("option", { value: z.id, text: z.name })));
    if (prefer !== null) zoneId = prefer;
    if (!items.some((z) => z.id === zoneId)) zoneId = items.length ? items[0].id : null;
    if (zoneId !== null) {
      select.value = String(zoneId);
      await subscribe(zoneId);
    } else render();
  }

  const sock = open("/dns", async () => {
    try {
      await loadZones();
      showError("dns-error", null);
    } catch (err) {
      showError("dns-error", err);
    }
  }, { everyConnect: true }); // the subscription is the socket's: make it again

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

  // Staff sockets hear every zone: keep the selected one's events only.
  const live = (zone, record) => {
    if (arriving && zone === arriving.zone) arriving.events.push(["set", record]);
    if (zone !== zoneId) return;
    records.set(record.id, record);
    if (editing.has(record.id)) return; // the editor keeps its version: saving will show the conflict
    render();
    const row = rowOf(record.id);
    if (row) row.replaceWith(viewRow(record, true));
  };
  sock.on("record_created", ({ zone_id: zone, record }) => live(zone, record));
  sock.on("record_updated", ({ zone_id: zone, record }) => live(zone, record));
  sock.on("record_deleted", ({ zone_id: zone, id }) => {
    if (arriving && zone === arriving.zone) arriving.events.push(["delete", id]);
    if (zone !== zoneId) return;
    records.delete(id);
    editing.delete(id);
    render();
  });
  sock.on("zone_deleted", ({ zone_id: zone }) => zone === zoneId && loadZones().catch((err) => showError("dns-error", err)));

  $("dns-form").onsubmit = async (event) => {
    event.preventDefault();
    if (zoneId === null) return showError("dns-error", { code: "no zone", message: "add a zone first" });
    const record = { zone_id: zoneId, type: $("dns-type").value, name: $("dns-name").value.trim(), content: $("dns-content").value.trim() };
    if ($("dns-ttl").value) record.ttl = Number($("dns-ttl").value);
    if ($("dns-priority").value) record.priority = Number($("dns-priority").value);
    try {
      await sock.createRecord(record);
      $("dns-name").value = $("dns-content").value = "";
      showError("dns-error", null);
    } catch (err) {
      showError("dns-error", err);
    }
  };
  $("dns-zone-form").onsubmit = async (event) => {
    event.preventDefault();
    try {
      const zone = await client.post("/zones", { name: $("dns-zone-name").value.trim() });
      $("dns-zone-name").value = "";
      if (zoneId !== null) await sock.unsubscribe(zoneId);
      await loadZones(zone.id);
      showError("dns-error", null);
    } catch (err) {
      showError("dns-error", err);
    }
  };
  $("dns-export").onclick = async () => {
    if (zoneId === null) return;
    try {
      const text = await client.get(`/zones/${zoneId}/export`);
      const pre = $("dns-export-text");
      pre.textContent = text;
      pre.hidden = false;
    } catch (err) {
      showError("dns-error", err);
    }
  };
  $("dns-import-form").onsubmit = async (event) => {
    event.preventDefault();
    if (zoneId === null) return;
    try {
      const mode = $("dns-import-mode").value;
      const result = await client.post(`/zones/${zoneId}/import?mode=${mode}`, { zone_file: $("dns-import-text").value });
      $("dns-import-text").value = "";
      $("dns-import-box").open = false;
      $("dns-error").textContent = `Imported: ${result.added} added, ${result.removed} removed, ${result.unchanged} unchanged.`;
    } catch (err) {
      showError("dns-error", err);
    }
  };
}

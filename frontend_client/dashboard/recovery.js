// What the console does after a socket comes back (docs/recovery.md): the recovery library
// (src/recovery.js, inside every RoomcastSocket) has replayed what was missed, so a panel
// does NOT reload; the header says "recovered". When the server no longer has what was
// missed (a gap: history trimmed, or lost with a restart) the panel reloads its state over
// REST and the header says "gap, reloaded".

import { $ } from "./dom.js";

const LABELS = { "/analytics": "billing", "/checkins": "desk", "/chat": "chat", "/dns": "dns", "/alerts": "alerts" };
export const recoveryLog = []; // every outcome shown, oldest first (for the browser tests)

function show(namespace, text, state) {
  const note = $("recovery-note");
  if (note) {
    note.textContent = `${LABELS[namespace] ?? namespace}: ${text}`;
    note.dataset.state = state;
    note.hidden = false;
  }
  markChip(namespace, state);
}

function markChip(namespace, state) {
  const chip = document.querySelector(`.status[data-ns="${namespace}"]`);
  if (chip) chip.dataset.recovery = state;
}

/** Wire a socket's "recovered" / "gap" outcomes: note them, and on a gap run `reload()`. */
export function watchRecovery(sock, namespace, reload) {
  let reloading = null;
  sock.on("recovered", ({ stream, count }) => {
    recoveryLog.push({ namespace, stream, status: "recovered", count });
    // Nothing missed: only the chip says so (the header keeps news worth reading; one
    // dropped connection reconnects every namespace at once).
    if (!count) return markChip(namespace, "recovered");
    show(namespace, `recovered ${count} missed event${count === 1 ? "" : "s"}`, "recovered");
  });
  sock.on("gap", ({ stream }) => {
    recoveryLog.push({ namespace, stream, status: "gap" });
    show(namespace, "gap, reloading…", "gap");
    // Several streams of one socket may report a gap at once: one reload covers them.
    reloading ??= Promise.resolve()
      .then(reload)
      .then(
        () => show(namespace, "gap, reloaded", "gap"),
        (err) => show(namespace, `gap, reload failed: ${err.code ?? err}`, "gap"),
      )
      .finally(() => {
        reloading = null;
      });
  });
}

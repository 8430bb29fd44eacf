// DOM helpers for the console. Server data only ever goes in as text (textContent / text
// nodes, never innerHTML): a chat body or an alert title is text, whatever it holds.

export const $ = (id) => document.getElementById(id);

/** Build an element; string children become text nodes; on* props become listeners. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const time = (iso) => (iso ? new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }) : "");
export const dateTime = (iso) => (iso ? new Date(iso).toLocaleString([], { dateStyle: "short", timeStyle: "short" }) : "");
export const money = (cents) => (typeof cents === "number" ? (cents / 100).toLocaleString([], { style: "currency", currency: "USD" }) : "–");

/** "code: message; field: problem" for a RoomcastError (or nothing to clear). */
export function showError(id, err) {
  const node = $(id);
  if (!node) return;
  if (!err) {
    node.textContent = "";
    return;
  }
  const fields = Object.entries(err.fields ?? {})
    .filter(([key]) => key !== "current")
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
  node.textContent = [`${err.code ?? "error"}: ${err.message ?? err}`, ...fields].join("; ");
}

/** A placeholder saying what to do next, shown while a list is empty. */
export function emptyState(text) {
  return el("p", { class: "empty", text });
}

/** Replace a list's children, or show the empty state. */
export function fill(target, nodes, emptyText) {
  target.replaceChildren(...(nodes.length ? nodes : [emptyState(emptyText)]));
}

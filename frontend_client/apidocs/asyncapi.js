// A small renderer of /docs/asyncapi.json: one section per namespace (channel), one
// collapsible entry per operation with its payload, its ack and error codes, schemas inlined.
// Text only ever goes in through textContent.

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function resolve(doc, ref) {
  return ref.replace(/^#\//, "").split("/").reduce((node, key) => node?.[key], doc);
}

/** The schema with every $ref replaced by its target (cycles cut at depth 8). */
function inline(doc, schema, depth = 0) {
  if (Array.isArray(schema)) return schema.map((s) => inline(doc, s, depth));
  if (!schema || typeof schema !== "object") return schema;
  if (schema.$ref) return depth > 8 ? { $ref: schema.$ref } : inline(doc, resolve(doc, schema.$ref), depth + 1);
  const out = {};
  for (const [key, value] of Object.entries(schema)) if (key !== "title") out[key] = inline(doc, value, depth);
  return out;
}

function schemaBlock(doc, label, schema) {
  return [el("h4", { text: label }), el("pre", { text: JSON.stringify(inline(doc, schema), null, 2) })];
}

function operation(doc, id, op) {
  const message = resolve(doc, op.messages[0].$ref);
  const body = el("div");
  body.append(el("p", { text: op.summary ?? "" }));
  body.append(...schemaBlock(doc, op.action === "receive" ? "Payload (client sends)" : "Payload (server emits)", message.payload));
  if (op.reply) {
    const ack = resolve(doc, op.reply.messages[0].$ref);
    const codes = el("p", { class: "codes" }, "Error codes: ");
    for (const code of ack["x-error-codes"] ?? []) codes.append(el("code", { text: code }));
    body.append(codes, ...schemaBlock(doc, "Ack", ack.payload));
  }
  return el(
    "details",
    { class: "op", id },
    el(
      "summary",
      {},
      el("span", { class: `dir ${op.action}`, text: op.action === "receive" ? "client → server" : "server → client" }),
      el("code", { class: "name", text: message.name }),
      el("span", { class: "muted", text: op.summary ?? "" }),
    ),
    body,
  );
}

async function main() {
  const doc = await (await fetch("/docs/asyncapi.json")).json();
  $("title").textContent = `${doc.info.title} ${doc.info.version} (AsyncAPI ${doc.asyncapi})`;
  $("description").textContent = doc.info.description;
  const server = doc.servers.roomcast;
  $("server").textContent = `Server: ${server.protocol}://${server.host}${server.pathname}`;
  const sections = [];
  for (const [key, channel] of Object.entries(doc.channels)) {
    $("toc").append(el("a", { href: `#ns-${key}`, text: channel.address }));
    const section = el("section", { class: "channel", id: `ns-${key}`, "data-namespace": channel.address });
    section.append(el("h2", { text: channel.address }), el("p", { text: channel.description }));
    const ops = Object.entries(doc.operations).filter(([, op]) => op.channel.$ref === `#/channels/${key}`);
    for (const action of ["receive", "send"]) {
      section.append(el("h3", { text: action === "receive" ? "Client events (with ack)" : "Server events" }));
      for (const [id, op] of ops) if (op.action === action) section.append(operation(doc, id, op));
    }
    sections.push(section);
  }
  $("channels").replaceChildren(...sections);
}

main().catch((err) => {
  $("channels").replaceChildren(el("p", { text: `Could not load the document: ${err}` }));
});

// Errors and token reading shared by the client and its sockets.

/** An error from Roomcast: a REST error body, an error ack, or a refused connect. */
export class RoomcastError extends Error {
  constructor({ code = "internal_error", message = "", fields = {}, status = 0, reason, data } = {}) {
    super(message || code);
    this.name = "RoomcastError";
    this.code = code; // the contract's string code: validation_error, not_found, token_revoked...
    this.fields = fields ?? {};
    this.status = status; // HTTP status (REST) or connect_error code (4001, 4003, 4029)
    if (reason !== undefined) this.reason = reason;
    if (data !== undefined) this.data = data; // connect_error data {code, reason, message}
  }
}

/** The payload of a JWT, without checking it (the server checks; we only read `exp`). */
export function tokenClaims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json =
      typeof atob === "function"
        ? decodeURIComponent(
            Array.from(atob(part), (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join(""),
          )
        : Buffer.from(part, "base64").toString("utf8");
    return JSON.parse(json);
  } catch {
    return {};
  }
}

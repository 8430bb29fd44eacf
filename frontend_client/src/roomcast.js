// Roomcast JS client: REST sign-in plus authenticated Socket.IO namespaces.
//
// Plain ES module, no build step. In Node `socket.io-client` comes from node_modules; in the
// browser an import map points it at the vendored ESM build (see dashboard/index.html).
//
// Tokens live in this object only (never localStorage): a page reload means a new sign-in.
// Every socket (re)connect presents a fresh one-time ws-token, because the server accepts a
// ws-token for one connection only.

import { io } from "socket.io-client";

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

const trimSlash = (url) => url.replace(/\/+$/, "");

export class RoomcastClient {
  /**
   * @param {object} options
   * @param {string} [options.baseUrl] server root, e.g. "http://127.0.0.1:8000" (default: the page's origin)
   * @param {string} [options.accessToken] start with an access token (no refresh possible then)
   * @param {string} [options.refreshToken]
   * @param {string} [options.credentials] fetch credentials mode; "omit" by default: this client
   *   authenticates with bearer tokens only, so one tab rotating the refresh cookie can never
   *   spend another tab's refresh token (which the server would treat as reuse).
   * @param {object} [options.socketOptions] extra socket.io-client options for every socket
   */
  constructor({ baseUrl, accessToken = null, refreshToken = null, credentials = "omit", socketOptions = {} } = {}) {
    const origin = typeof location !== "undefined" ? location.origin : undefined;
    this.baseUrl = trimSlash(baseUrl ?? origin ?? "");
    if (!this.baseUrl) throw new TypeError("RoomcastClient needs a baseUrl outside the browser");
    this.accessToken = accessToken;
    this.refreshToken = refreshToken;
    this.user = null;
    this.credentials = credentials;
    this.socketOptions = socketOptions;
    this.sockets = new Set();
    this._refreshing = null;
  }

  // --- REST ------------------------------------------------------------------------------

  /** Call a REST path under /api/v1; returns the parsed body (null for 204). */
  async request(method, path, body, { auth = true, retry = true, headers = {} } = {}) {
    const init = { method, credentials: this.credentials, headers: { ...headers } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (auth && this.accessToken) init.headers.Authorization = `Bearer ${this.accessToken}`;
    const url = `${this.baseUrl}/api/v1${path.startsWith("/") ? path : `/${path}`}`;
    let response;
    try {
      response = await fetch(url, init);
    } catch (err) {
      throw new RoomcastError({ code: "network_error", message: `${method} ${path}: ${err.message}` });
    }
    if (response.status === 204) return null;
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text; // text/plain answers (zone export)
      }
    }
    if (response.ok) return data;
    const error = data && typeof data === "object" && data.error ? data.error : {};
    // An expired access token is renewed once, transparently, when we hold a refresh token.
    if (auth && retry && error.code === "token_expired" && this.refreshToken) {
      await this.refresh();
      return this.request(method, path, body, { auth, retry: false, headers });
    }
    throw new RoomcastError({
      code: error.code ?? "internal_error",
      message: error.message ?? `${method} ${path}: HTTP ${response.status}`,
      fields: error.fields ?? {},
      status: response.status,
    });
  }

  get(path) {
    return this.request("GET", path);
  }

  post(path, body = {}) {
    return this.request("POST", path, body);
  }

  patch(path, body) {
    return this.request("PATCH", path, body);
  }

  delete(path) {
    return this.request("DELETE", path);
  }

  _keep(answer) {
    this.accessToken = answer.access_token;
    this.refreshToken = answer.refresh_token;
    this.user = answer.user;
    return answer.user;
  }

  /** Sign in; returns the user and keeps the token pair in memory. */
  async login(email, password) {
    return this._keep(await this.request("POST", "/auth/login", { email, password }, { auth: false }));
  }

  /** Create an account and sign in: register(email, password, {first_name, last_name, mobile}). */
  async register(email, password, extra = {}) {
    if (typeof email === "object") return this.register(email.email, email.password, email);
    const body = { ...extra, email, password };
    return this._keep(await this.request("POST", "/auth/register", body, { auth: false }));
  }

  /** Swap the refresh token for a new pair (concurrent callers share one request). */
  refresh() {
    if (!this._refreshing) {
      if (!this.refreshToken) {
        return Promise.reject(new RoomcastError({ code: "unauthorized", message: "no refresh token held" }));
      }
      const body = { refresh_token: this.refreshToken };
      this._refreshing = this.request("POST", "/auth/refresh", body, { auth: false })
        .then((answer) => this._keep(answer))
        .finally(() => {
          this._refreshing = null;
        });
    }
    return this._refreshing;
  }

  /** Revoke this login on the server (its sockets are disconnected there) and forget it here. */
  async logout() {
    try {
      if (this.accessToken) await this.request("POST", "/auth/logout");
    } finally {
      for (const socket of [...this.sockets]) socket.close();
      this.accessToken = this.refreshToken = this.user = null;
    }
  }

  async me() {
    this.user = (await this.get("/auth/me")).user;
    return this.user;
  }

  /** A one-time token for one socket connection. */
  async wsToken() {
    return (await this.request("POST", "/auth/ws-token")).ws_token;
  }

  // --- sockets ---------------------------------------------------------------------------

  /**
   * Open an authenticated socket on a namespace ("/alerts", "/dns", ...).
   * opts: {guest: true} connects /chat without a token; {token} presents that token instead
   * of fetching ws-tokens; any other key is passed to io().
   * Attach listeners right away (before awaiting `ready`): the greeting events follow the
   * connect immediately.
   */
  connect(namespace, opts = {}) {
    const Wrapper = NAMESPACE_HELPERS[namespace] ?? RoomcastSocket;
    return new Wrapper(this, namespace, opts);
  }

  alerts(opts) {
    return this.connect("/alerts", opts);
  }

  chat(opts) {
    return this.connect("/chat", opts);
  }

  dns(opts) {
    return this.connect("/dns", opts);
  }

  checkins(opts) {
    return this.connect("/checkins", opts);
  }

  analytics(opts) {
    return this.connect("/analytics", opts);
  }
}

/** One namespace connection: a thin wrapper over a socket.io-client Socket. */
export class RoomcastSocket {
  constructor(client, namespace, { guest = false, token = null, ...ioOptions } = {}) {
    this.client = client;
    this.namespace = namespace;
    this.guest = guest;
    this.heldToken = null; // the token the server currently holds for this socket
    this.lastError = null;
    this.greeting = null;
    this._refreshTimer = null;
    const options = {
      transports: ["websocket", "polling"],
      ...client.socketOptions,
      ...ioOptions,
    };
    // auth as a callback: socket.io-client calls it before EVERY connect packet, so each
    // reconnection presents a new ws-token (a spent one would be refused).
    // A fixed `token` (e.g. an access token from `roomcast token`) is presented as is.
    if (token) {
      options.auth = { token };
      this.heldToken = token;
    } else if (!guest) {
      options.auth = (send) => this._authenticate(send);
    }
    this.socket = io(client.baseUrl + namespace, options);
    client.sockets.add(this);

    this.ready = new Promise((resolve, reject) => {
      this._settle = { resolve, reject };
    });
    this.ready.catch(() => {}); // a refusal is also reported through on("connect_error")
    this.socket.on("connection_established", (greeting) => {
      this.greeting = greeting;
      this.lastError = null;
      this._settle?.resolve(greeting);
    });
    this.socket.on("connect_error", (err) => this._onConnectError(err));
    this.socket.on("token_expiring", (data) => this._onTokenExpiring(data));
    this.socket.on("disconnect", () => this._clearRefreshTimer());
  }

  get id() {
    return this.socket.id;
  }

  get connected() {
    return this.socket.connected;
  }

  async _authenticate(send) {
    try {
      const token = await this.client.wsToken();
      this.heldToken = token;
      send({ token });
    } catch (err) {
      // No token to present: the session is gone (logged out, refresh dead) or the server is
      // unreachable. Do not send a token-less connect (on /chat that would become a guest).
      const error =
        err instanceof RoomcastError ? err : new RoomcastError({ code: "network_error", message: String(err) });
      this.lastError = error;
      this.socket.disconnect();
      this._emitLocal("connect_error", error);
      this._settle?.reject(error);
    }
  }

  _onConnectError(err) {
    // A refusal by the server carries {code, reason, message} in err.data.
    const data = err && err.data && typeof err.data === "object" ? err.data : null;
    const error = data
      ? new RoomcastError({
          code: data.reason ?? "forbidden",
          message: data.message ?? err.message,
          status: data.code,
          reason: data.reason,
          data,
        })
      : new RoomcastError({ code: "network_error", message: err?.message ?? String(err) });
    this.lastError = error;
    // A refused connect is final (socket.io-client does not retry it); a transport failure is
    // retried by the manager, so `ready` only fails on a refusal.
    if (data) this._settle?.reject(error);
  }

  _onTokenExpiring({ expires_at: expiresAt } = {}) {
    this._clearRefreshTimer();
    const deadline = Date.parse(expiresAt) || Date.now();
    const current = this.client.accessToken;
    const currentExp = current ? (tokenClaims(current).exp ?? 0) * 1000 : 0;
    if (current && current !== this.heldToken && currentExp > deadline) {
      // The socket still holds its ws-token (or an older access token): ours outlives it.
      this._sendToken(current);
      return;
    }
    // The socket already holds our newest token: renew it shortly before it runs out (not at
    // once, which would loop when the access token lives less than the 30 s warning).
    const left = Math.max(0, deadline - Date.now());
    const delay = left > 20000 ? left - 10000 : left / 2;
    this._refreshTimer = setTimeout(async () => {
      this._refreshTimer = null;
      try {
        if (this.client.accessToken === this.heldToken) await this.client.refresh();
        this._sendToken(this.client.accessToken);
      } catch (err) {
        this.lastError = err;
        this._emitLocal("token_refresh_failed", err);
      }
    }, delay);
  }

  async _sendToken(token) {
    try {
      await this.call("refresh_token", { token });
      this.heldToken = token;
      this._emitLocal("token_refreshed", { token });
    } catch (err) {
      this.lastError = err;
      this._emitLocal("token_refresh_failed", err);
    }
  }

  _clearRefreshTimer() {
    if (this._refreshTimer) clearTimeout(this._refreshTimer);
    this._refreshTimer = null;
  }

  // Local notifications go through the socket's own listeners (socket.io-client's Emitter).
  _emitLocal(event, payload) {
    for (const fn of this.socket.listeners(event)) fn(payload);
  }

  /** Emit with an ack: resolves to ack.data, rejects with RoomcastError when ack.ok is false. */
  async call(event, data = {}, { timeout = 10000 } = {}) {
    let ack;
    try {
      ack = await this.socket.timeout(timeout).emitWithAck(event, data);
    } catch {
      throw new RoomcastError({ code: "timeout", message: `no ack for ${event} within ${timeout} ms` });
    }
    if (ack && ack.ok === true) return ack.data;
    const error = (ack && ack.error) || {};
    throw new RoomcastError({
      code: error.code ?? "bad_request",
      message: error.message ?? `malformed ack for ${event}`,
      fields: error.fields ?? {},
    });
  }

  /** Emit without an ack (typing). */
  emit(event, data = {}) {
    this.socket.emit(event, data);
    return this;
  }

  /** Listen to a server event; also "connect_error" (a RoomcastError), "disconnect",
   * "token_refreshed" and "token_refresh_failed". Returns a function that removes it. */
  on(event, fn) {
    if (event === "connect_error") {
      const wrapped = (err) => fn(err instanceof RoomcastError ? err : this.lastError ?? err);
      this.socket.on(event, wrapped);
      return () => this.socket.off(event, wrapped);
    }
    this.socket.on(event, fn);
    return () => this.socket.off(event, fn);
  }

  off(event, fn) {
    this.socket.off(event, fn);
    return this;
  }

  /** Every server event: fn(event, payload). */
  onAny(fn) {
    const wrapped = (event, ...args) => fn(event, args.length === 1 ? args[0] : args);
    this.socket.onAny(wrapped);
    return () => this.socket.offAny(wrapped);
  }

  /** The next `event`, as a promise (bounded by timeout). */
  next(event, { timeout = 10000 } = {}) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.socket.off(event, handler);
        reject(new RoomcastError({ code: "timeout", message: `no ${event} within ${timeout} ms` }));
      }, timeout);
      const handler = (payload) => {
        clearTimeout(timer);
        this.socket.off(event, handler);
        resolve(payload);
      };
      this.socket.on(event, handler);
    });
  }

  ping() {
    return this.call("ping", { timestamp: new Date().toISOString() });
  }

  close() {
    this._clearRefreshTimer();
    this.socket.disconnect();
    this.client.sockets.delete(this);
    this._settle?.reject(new RoomcastError({ code: "closed", message: "socket closed" }));
  }
}

// --- per-namespace helpers: thin names over call() ---------------------------------------

export class AlertsSocket extends RoomcastSocket {
  list({ unreadOnly = false, limit } = {}) {
    const data = { unread_only: unreadOnly };
    if (limit !== undefined) data.limit = limit;
    return this.call("list", data);
  }

  markRead(alertId) {
    return this.call("mark_read", { alert_id: alertId });
  }

  async unreadCount() {
    return (await this.call("get_unread_count")).count;
  }
}

export class ChatSocket extends RoomcastSocket {
  join(room) {
    return this.call("join", { room });
  }

  leave(room) {
    return this.call("leave", { room });
  }

  send(room, body, clientId) {
    const data = { room, body };
    if (clientId !== undefined) data.client_id = clientId;
    return this.call("message", data);
  }

  typing(room) {
    return this.emit("typing", { room });
  }

  history(room, { beforeId, limit } = {}) {
    const data = { room };
    if (beforeId !== undefined) data.before_id = beforeId;
    if (limit !== undefined) data.limit = limit;
    return this.call("history", data);
  }
}

export class DnsSocket extends RoomcastSocket {
  subscribe(zoneId) {
    return this.call("subscribe", { zone_id: zoneId });
  }

  unsubscribe(zoneId) {
    return this.call("unsubscribe", { zone_id: zoneId });
  }

  createRecord(record) {
    return this.call("create_record", record);
  }

  updateRecord(id, version, changes) {
    return this.call("update_record", { ...changes, id, version });
  }

  deleteRecord(id) {
    return this.call("delete_record", { id });
  }
}

export class CheckinsSocket extends RoomcastSocket {
  checkIn(memberId) {
    return this.call("check_in", { member_id: memberId });
  }

  checkOut(memberId) {
    return this.call("check_out", { member_id: memberId });
  }
}

export class AnalyticsSocket extends RoomcastSocket {
  refresh() {
    return this.call("refresh");
  }
}

const NAMESPACE_HELPERS = {
  "/alerts": AlertsSocket,
  "/chat": ChatSocket,
  "/dns": DnsSocket,
  "/checkins": CheckinsSocket,
  "/analytics": AnalyticsSocket,
};

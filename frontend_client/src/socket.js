// RoomcastSocket: one authenticated namespace connection over a socket.io-client Socket.

import { io } from "socket.io-client";
import { RoomcastError, tokenClaims } from "./errors.js";
import { StreamTracker } from "./recovery.js";

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
    this.streams = new StreamTracker(); // positions per stream, for replay after a reconnect
    const options = {
      transports: ["websocket", "polling"],
      ...client.socketOptions,
      ...ioOptions,
    };
    // auth as a callback: socket.io-client calls it before EVERY connect packet, so each
    // reconnection presents a new ws-token (a spent one would be refused).
    // A fixed `token` (e.g. an access token from `roomcast token`) is presented as is.
    // Each connect also asks to recover the streams seen so far (none on the first one).
    if (token) {
      this.heldToken = token;
      options.auth = (send) => send({ token, recover: this.streams.request() });
    } else if (!guest) {
      options.auth = (send) => this._authenticate(send);
    }
    this.socket = io(client.baseUrl + namespace, options);
    // Registered before any app listener, so it sees (and cleans) every payload first.
    this.socket.onAny((event, payload) => this.streams.observe(payload));
    this.socket.on("recovery", (answer) => this._onRecovery(answer));
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
      send({ token, recover: this.streams.request() });
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

  _onRecovery(answer = {}) {
    for (const outcome of this.streams.apply(answer.streams)) {
      // "recovered": every missed event was replayed before this; "gap": the history no
      // longer reaches back (or the server lost it): reload that stream's state over REST.
      if (outcome.status === "recovered") this._emitLocal("recovered", outcome);
      if (outcome.status === "gap" || outcome.status === "unavailable") this._emitLocal("gap", outcome);
    }
  }

  /** Ask for what a joined/subscribed stream missed (e.g. `room:<slug>` right after a
   * re-join); replays arrive as events, the outcomes also as "recovered" / "gap". */
  async recover(streams = null) {
    const wanted = streams ?? this.streams.request();
    const answer = await this.call("recover", wanted);
    this._onRecovery(answer);
    return answer.streams;
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
    // An event already seen (replayed and also live around a reconnect) is not delivered twice.
    const wrapped = (payload, ...rest) => {
      if (!this.streams.dropped.has(payload)) fn(payload, ...rest);
    };
    wrapped.original = fn;
    this.socket.on(event, wrapped);
    return () => this.socket.off(event, wrapped);
  }

  off(event, fn) {
    for (const listener of this.socket.listeners(event)) {
      if (listener === fn || listener.original === fn) this.socket.off(event, listener);
    }
    return this;
  }

  /** Every server event: fn(event, payload). */
  onAny(fn) {
    const wrapped = (event, ...args) => {
      if (args.length === 1 && this.streams.dropped.has(args[0])) return;
      fn(event, args.length === 1 ? args[0] : args);
    };
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

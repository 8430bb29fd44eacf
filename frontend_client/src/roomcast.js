// Roomcast JS client: REST sign-in plus authenticated Socket.IO namespaces.
//
// Plain ES module, no build step. In Node `socket.io-client` comes from node_modules; in the
// browser an import map points it at the vendored ESM build (see dashboard/index.html).
//
// Tokens live in this object only (never localStorage): a page reload means a new sign-in.
// Every socket (re)connect presents a fresh one-time ws-token, because the server accepts a
// ws-token for one connection only.

import { RoomcastError } from "./errors.js";
import { NAMESPACE_HELPERS } from "./namespaces.js";
import { RoomcastSocket } from "./socket.js";

export { RoomcastError, tokenClaims } from "./errors.js";
export {
  AlertsSocket,
  AnalyticsSocket,
  ChatSocket,
  CheckinsSocket,
  DnsSocket,
  dedupeById,
} from "./namespaces.js";
export { RoomcastSocket } from "./socket.js";

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

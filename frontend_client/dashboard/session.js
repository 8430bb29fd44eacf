// The console's session lives in the HttpOnly cookies that POST /auth/login sets, so it
// survives a reload: on load, POST /auth/refresh with the refresh cookie gives a fresh pair.
//
// Only the access token is kept in memory (for sockets' refresh_token); the refresh token
// stays in its cookie, shared by every tab. Refreshes are serialised across tabs with the
// Web Locks API, so two tabs never present the same refresh token (the server would take
// that for token theft and end the login).

import { RoomcastClient, RoomcastError } from "../src/roomcast.js";

const LOCK = "roomcast-refresh";

export class CookieSession extends RoomcastClient {
  constructor() {
    super({ baseUrl: location.origin, credentials: "same-origin" });
    this.lastRefresh = 0;
  }

  _keep(answer) {
    this.accessToken = answer.access_token;
    this.refreshToken = null; // the cookie holds it
    this.user = answer.user;
    return answer.user;
  }

  async request(method, path, body, options = {}) {
    try {
      return await super.request(method, path, body, { ...options, retry: false });
    } catch (err) {
      const retry = options.retry ?? true;
      if (!(retry && options.auth !== false && err instanceof RoomcastError && err.code === "token_expired")) throw err;
      await this.refresh();
      return super.request(method, path, body, { ...options, retry: false });
    }
  }

  /** Swap the refresh cookie for a new pair (one tab at a time). */
  refresh() {
    if (!this._refreshing) {
      const started = Date.now();
      const run = async () => {
        // Another tab may have refreshed while we waited for the lock: its access cookie is ours.
        const answer = await super.request("POST", "/auth/refresh", undefined, { auth: false, retry: false });
        this.lastRefresh = started;
        return this._keep(answer);
      };
      const locked = navigator.locks ? navigator.locks.request(LOCK, run) : run();
      this._refreshing = locked.finally(() => {
        this._refreshing = null;
      });
    }
    return this._refreshing;
  }

  /** Resume the session of a previous page load; null when there is none. */
  async resume() {
    try {
      return await this.refresh();
    } catch (err) {
      if (err instanceof RoomcastError && err.status >= 400 && err.status < 500) return null;
      throw err;
    }
  }
}

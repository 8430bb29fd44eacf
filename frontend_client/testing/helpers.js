// Shared test plumbing: the server under test, fresh users, and an event recorder.
//
// The server comes from the environment (the pytest wrapper tests/frontend/test_js_client.py
// starts one and sets these); the defaults match `roomcast serve --demo`.

import { randomUUID } from "node:crypto";
import { RoomcastClient } from "../src/roomcast.js";

export const BASE_URL = process.env.ROOMCAST_URL ?? "http://127.0.0.1:8000";
export const STAFF_EMAIL = process.env.ROOMCAST_STAFF_EMAIL ?? "admin@example.com";
export const STAFF_PASSWORD = process.env.ROOMCAST_STAFF_PASSWORD ?? "admin-password";
// Set when the server runs with short token lifetimes (ws-token 4 s, access token 6 s).
export const SHORT_TOKENS = process.env.ROOMCAST_SHORT_TOKENS === "1";
export const PASSWORD = "correct horse battery";

/** Register a brand-new user; returns the signed-in client. */
export async function newUser(t, extra = {}) {
  const client = new RoomcastClient({ baseUrl: BASE_URL });
  const email = `js-${randomUUID().slice(0, 12)}@example.com`;
  await client.register(email, PASSWORD, extra);
  t?.after(() => closeAll(client));
  return client;
}

export async function staffClient(t) {
  const client = new RoomcastClient({ baseUrl: BASE_URL });
  await client.login(STAFF_EMAIL, STAFF_PASSWORD);
  t?.after(() => closeAll(client));
  return client;
}

export function closeAll(client) {
  for (const socket of [...client.sockets]) socket.close();
}

/** Queue every server event of a socket so that a test can await them in order. */
export function record(sock) {
  const queues = new Map();
  const waiters = new Map();
  const queue = (event) => {
    if (!queues.has(event)) queues.set(event, []);
    return queues.get(event);
  };
  sock.onAny((event, payload) => {
    const pending = waiters.get(event);
    if (pending && pending.length) pending.shift()(payload);
    else queue(event).push(payload);
  });
  return {
    wait(event, timeout = 5000) {
      const queued = queue(event);
      if (queued.length) return Promise.resolve(queued.shift());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeout} ms`)), timeout);
        if (!waiters.has(event)) waiters.set(event, []);
        waiters.get(event).push((payload) => {
          clearTimeout(timer);
          resolve(payload);
        });
      });
    },
    /** True when no `event` arrives within `within` ms. */
    async nothing(event, within = 500) {
      try {
        await this.wait(event, within);
        return false;
      } catch {
        return true;
      }
    },
  };
}

/** Open a namespace socket with a recorder attached before the first event can arrive. */
export async function open(client, namespace, opts) {
  const sock = client.connect(namespace, opts);
  const events = record(sock);
  const greeting = await sock.ready;
  await events.wait("connection_established"); // the recorder saw it too: later waits see new ones
  return { sock, events, greeting };
}

// Per-namespace sockets: thin names over RoomcastSocket.call().

import { RoomcastSocket } from "./socket.js";

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

/** Wrap a `message` listener so that each message id reaches it once.
 *
 * Chat delivery is at least once (docs/chat.md): a retried `client_id` is broadcast again,
 * with the stored message's `id`. The last `limit` ids are remembered. */
export function dedupeById(fn, { limit = 1000 } = {}) {
  const seen = new Set();
  return (message) => {
    const id = message?.id;
    if (id !== undefined && id !== null) {
      if (seen.has(id)) return;
      seen.add(id);
      if (seen.size > limit) seen.delete(seen.values().next().value);
    }
    fn(message);
  };
}

export class ChatSocket extends RoomcastSocket {
  /** Listen to chat messages, each id once (see dedupeById). Returns a remover. */
  onMessage(fn, options) {
    return this.on("message", dedupeById(fn, options));
  }

  /** Join; on a re-join, the messages missed since the last one seen are replayed (events
   * `message`, then "recovered" or "gap"). */
  async join(room) {
    const joined = await this.call("join", { room });
    const stream = `room:${room}`;
    const known = this.streams.positions.get(stream);
    await this.recover({ [stream]: known ? { o: known.o, e: known.e } : {} });
    return joined;
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
  /** Subscribe; the zone's position is kept, so a reconnect resubscribes it and replays the
   * record changes missed meanwhile. */
  async subscribe(zoneId) {
    const answer = await this.call("subscribe", { zone_id: zoneId });
    await this.recover({ [`zone:${zoneId}`]: {} });
    return answer;
  }

  unsubscribe(zoneId) {
    this.streams.positions.delete(`zone:${zoneId}`);
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

export const NAMESPACE_HELPERS = {
  "/alerts": AlertsSocket,
  "/chat": ChatSocket,
  "/dns": DnsSocket,
  "/checkins": CheckinsSocket,
  "/analytics": AnalyticsSocket,
};

// Stream positions and recovery across reconnects (docs/recovery.md).
//
// Every stream event carries `_stream: {"<stream>": {o, e}}`. StreamTracker remembers the
// newest position per stream, drops an event it has already seen (a replayed event may also
// arrive live during the reconnect), strips `_stream` from what the app sees, and turns the
// server's `recovery` answer into "recovered" / "gap" notifications.

export const STREAM_KEY = "_stream";

export class StreamTracker {
  constructor() {
    this.positions = new Map(); // stream -> {o, e}
    this.dropped = new WeakSet(); // payloads already seen: the app's handlers skip them
  }

  /** The `recover` object for the handshake or the `recover` event. */
  request(filter = () => true) {
    const out = {};
    for (const [stream, position] of this.positions) {
      if (filter(stream)) out[stream] = { o: position.o, e: position.e };
    }
    return out;
  }

  /** Called for every incoming event before the app's handlers. */
  observe(payload) {
    if (!payload || typeof payload !== "object" || !(STREAM_KEY in payload)) return;
    const positions = payload[STREAM_KEY];
    delete payload[STREAM_KEY];
    let fresh = false;
    let known = false;
    for (const [stream, { o, e }] of Object.entries(positions ?? {})) {
      const mine = this.positions.get(stream);
      if (!mine) continue; // a stream this socket does not read (e.g. `staff` for a user)
      known = true;
      if (mine.e !== e || o > mine.o) {
        fresh = true;
        this.positions.set(stream, { o: Math.max(o, mine.e === e ? mine.o : 0), e });
      }
    }
    if (known && !fresh) this.dropped.add(payload);
  }

  /** Apply a `recovery` answer; returns [{stream, status, ...}] for the app. */
  apply(streams = {}) {
    const outcomes = [];
    for (const [stream, result] of Object.entries(streams)) {
      if (result.status === "denied" || result.status === "unavailable") {
        if (result.status === "denied") this.positions.delete(stream);
      } else {
        const mine = this.positions.get(stream);
        const o = mine && mine.e === result.e ? Math.max(mine.o, result.o) : result.o;
        this.positions.set(stream, { o, e: result.e });
      }
      outcomes.push({ stream, ...result });
    }
    return outcomes;
  }
}

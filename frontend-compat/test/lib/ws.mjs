// ws.mjs - raw WebSocket helper (the `ws` package) for the integration suites: a client whose
// incoming frames are queued so that a test can await them one by one (`next()`), with the close
// code awaited as a promise. Text frames are strings, binary frames Buffers.
import WebSocket from "ws";
import { T } from "./server.mjs";
import { MessageQueue } from "./messages.mjs";

export class RawWs {
  constructor(url, { headers, perMessageDeflate = false } = {}) {
    this.ws = new WebSocket(url, { headers, perMessageDeflate });
    this.messages = new MessageQueue();
    this.queue = this.messages.items; // the frames received and not yet taken
    this.closeInfo = null;
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", resolve);
      this.ws.once("error", reject);
      this.ws.once("unexpected-response", (req, res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => {
          const e = new Error(`unexpected response ${res.statusCode}: ${body}`);
          e.status = res.statusCode;
          e.body = body;
          reject(e);
          this.ws.terminate(); // with this listener set, ws leaves the request to us
        });
      });
    });
    this.opened.catch(() => {});
    this.ws.on("error", () => {});
    this.ws.on("message", (data, isBinary) => {
      this.messages.push(isBinary ? Buffer.from(data) : data.toString("utf8"));
    });
    this.closed = new Promise((resolve) => {
      this.ws.once("close", (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        this.messages.close(new Error(`websocket closed (${code})`));
        resolve(this.closeInfo);
      });
    });
  }

  /** The next frame (string or Buffer); rejects after `timeout` ms or on close. */
  next(timeout = T(5000)) {
    return this.messages.next(timeout, "websocket frame");
  }

  /** The next frame that is not a ping `2` (answering pings with `3` when `pong` is set). */
  async nextNonPing(timeout = T(5000), pong = true) {
    for (;;) {
      const m = await this.next(timeout);
      if (m === "2") {
        if (pong) this.send("3");
        continue;
      }
      return m;
    }
  }

  send(data) {
    this.ws.send(data);
  }

  /** Resolves the close info once closed; rejects after `timeout` ms. */
  waitClosed(timeout = T(5000)) {
    let timer;
    return Promise.race([
      this.closed.finally(() => clearTimeout(timer)),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`websocket not closed within ${timeout} ms`)), timeout);
      }),
    ]);
  }

  close() {
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) this.ws.close();
    return this.closed;
  }

  terminate() {
    this.ws.terminate();
    return this.closed;
  }
}

/** ws:// URL of the Engine.IO endpoint for `base` (http://host:port) with `query`. */
export function wsUrl(base, query = {}) {
  const u = new URL("/engine.io/", base.replace(/^http/, "ws"));
  for (const [k, v] of Object.entries({ EIO: "4", transport: "websocket", ...query }))
    u.searchParams.set(k, v);
  return u.toString();
}

/** Opens a WebSocket-first session; resolves {ws, open}. */
export async function openWs(base, query = {}) {
  const ws = new RawWs(wsUrl(base, query));
  await ws.opened;
  const first = await ws.next();
  if (typeof first !== "string" || first[0] !== "0") throw new Error(`expected an open packet, got ${first}`);
  return { ws, open: JSON.parse(first.slice(1)) };
}

/** Resolves after `ms` ms; used only to prove that something does NOT happen. */
export function delay(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

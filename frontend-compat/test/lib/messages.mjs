// messages.mjs - incoming messages of a client, for the Engine.IO suites: MessageQueue holds the
// messages (or frames) a client received so that a test can await them one by one, and bytes()
// turns a binary message of any client (Buffer, ArrayBuffer, typed array) into a list of octets.
//
// Design: a message that arrives while someone waits goes to the oldest waiter, otherwise it is
// queued; a waiter that times out is removed, so that no later message is lost to it. close(err)
// rejects the waiters and every later next() with `err` (queued messages are still given first).
import { T } from "./server.mjs";

export class MessageQueue {
  constructor() {
    this.items = []; // received, not yet taken (kept as the same array)
    this.waiters = [];
    this.closedError = null;
  }

  push(m) {
    const w = this.waiters.shift();
    if (w) w.resolve(m);
    else this.items.push(m);
  }

  /** No more messages: the pending and later next() reject with `err`. */
  close(err) {
    this.closedError = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  /** The next message; rejects after `timeout` ms or once closed. */
  next(timeout = T(5000), what = "message") {
    if (this.items.length) return Promise.resolve(this.items.shift());
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const w = {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no ${what} within ${timeout} ms`));
      }, timeout);
      this.waiters.push(w);
    });
  }
}

/** The octets of a binary message (Buffer, ArrayBuffer or typed array). */
export function bytes(m) {
  if (m instanceof ArrayBuffer) return [...new Uint8Array(m)];
  if (ArrayBuffer.isView(m)) return [...new Uint8Array(m.buffer, m.byteOffset, m.byteLength)];
  throw new Error(`not binary: ${typeof m} ${m}`);
}

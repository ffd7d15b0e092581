import { EventEmitter } from "node:events";
import { describe, expect, test } from "vitest";
import { followEvents } from "./live";

function deferred() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("followEvents", () => {
  test("an event during the first fetch is held and applied once the data is loaded", async () => {
    const socket = new EventEmitter();
    const loaded = deferred();
    const removed = deferred();
    const seen: string[] = [];
    const done = followEvents(socket, { "message:new": (m: { body: string }) => seen.push(m.body) }, loaded.promise, removed.promise);
    socket.emit("message:new", { body: "during the fetch" });
    expect(seen).toEqual([]);
    loaded.resolve();
    await tick();
    expect(seen).toEqual(["during the fetch"]);
    socket.emit("message:new", { body: "after" });
    expect(seen).toEqual(["during the fetch", "after"]);
    removed.resolve();
    await done;
    socket.emit("message:new", { body: "gone" });
    expect(seen).toEqual(["during the fetch", "after"]);
    expect(socket.listenerCount("message:new")).toBe(0);
  });

  test("a failed first fetch detaches the handlers and applies nothing", async () => {
    const socket = new EventEmitter();
    const loaded = deferred();
    const seen: number[] = [];
    const done = followEvents(socket, { a: (n: number) => seen.push(n), b: (n: number) => seen.push(-n) }, loaded.promise, new Promise(() => {}));
    socket.emit("a", 1);
    loaded.reject(new Error("removed before it loaded"));
    await done;
    socket.emit("a", 2);
    expect(seen).toEqual([]);
    expect(socket.listenerCount("a") + socket.listenerCount("b")).toBe(0);
  });
});

// deskSocket.ts - the ONE socket of the support desk on the `/desk` namespace (docs/desk.md),
// like lib/socket.ts does it for /chat: created on first use, its handshake `auth` a callback
// reading the current access token (a reconnect after a refresh uses the new one), torn down on
// logout (the store's listener calls closeDeskSocket). Only deskApi.ts subscribes to its events.
import { io, type Socket } from "socket.io-client";
import { emitAckOn, ackResult, ACK_TIMEOUT_MS } from "@/lib/socket";
import type { DeskClientEmits, DeskServerEvents } from "@/lib/types";

export interface DeskSocket {
  readonly connected: boolean;
  readonly active: boolean;
  on<E extends keyof DeskServerEvents>(event: E, fn: DeskServerEvents[E]): unknown;
  on(event: "connect" | "disconnect" | "connect_error", fn: (arg?: never) => void): unknown;
  off(event: string, fn?: (...args: never[]) => void): unknown;
  connect(): unknown;
  disconnect(): unknown;
  timeout(ms: number): { emitWithAck(event: string, payload: unknown): Promise<unknown> };
}

let socket: DeskSocket | null = null;
let tokenSource: () => string | null = () => null;

export function setDeskTokenSource(fn: () => string | null) {
  tokenSource = fn;
}

export function getDeskSocket(): DeskSocket {
  if (!socket) {
    const s: Socket = io("/desk", {
      auth: (cb) => cb({ token: tokenSource() ?? "" }),
      transports: ["websocket", "polling"],
      reconnectionDelay: 500,
      reconnectionDelayMax: 3000,
    });
    socket = s as unknown as DeskSocket;
  }
  return socket;
}

export function closeDeskSocket() {
  const s = socket;
  socket = null;
  if (s) {
    s.off("connect");
    s.disconnect();
  }
}

/** Tests: use `fake` as the desk's socket. */
export function installDeskSocket(fake: DeskSocket | null) {
  socket = fake;
}

/** A /desk emit with ack as a queryFn result (`{ data }` or `{ error }` shaped like REST's). */
export function deskAck<E extends keyof DeskClientEmits>(event: E, payload: DeskClientEmits[E][0], timeoutMs = ACK_TIMEOUT_MS) {
  return ackResult(emitAckOn<DeskClientEmits[E][1]>(getDeskSocket(), event, payload, timeoutMs));
}

// socket.ts - the ONE socket.io-client socket of the app, on the `/chat` namespace of the same
// origin. It is created once (getSocket), its handshake `auth` is a callback that reads the
// current access token (so every reconnect uses the latest, refreshed token), and it is torn down
// on logout (closeSocket). Components never touch it: RTK Query endpoints subscribe to its events
// in onCacheEntryAdded and write into the cache, and socket mutations go through `emitAck`.
// Unit tests install a fake emitter with `installSocket`.
import { io, type Socket } from "socket.io-client";
import type { Ack, ClientEmits, ClientEvent, ServerToClientEvents } from "./types";

/** What the app needs of a socket (a real socket.io-client Socket, or a test fake). */
export interface ChatSocket {
  readonly connected: boolean;
  readonly active: boolean;
  readonly recovered: boolean;
  on<E extends keyof ServerToClientEvents>(event: E, fn: ServerToClientEvents[E]): unknown;
  on(event: "connect" | "disconnect" | "connect_error", fn: (arg?: never) => void): unknown;
  off(event: string, fn?: (...args: never[]) => void): unknown;
  connect(): unknown;
  disconnect(): unknown;
  timeout(ms: number): { emitWithAck(event: string, payload: unknown): Promise<unknown> };
}

type TokenSource = () => string | null;

let socket: ChatSocket | null = null;
let tokenSource: TokenSource = () => null;

/** Where the socket reads the access token from (the store, set up once in lib/store.ts). */
export function setTokenSource(fn: TokenSource) {
  tokenSource = fn;
}

/** The /chat socket; created (and connecting) on first use. */
export function getSocket(): ChatSocket {
  if (!socket) {
    const s: Socket = io("/chat", {
      auth: (cb) => cb({ token: tokenSource() ?? "" }),
      transports: ["websocket", "polling"],
      reconnectionDelay: 500,
      reconnectionDelayMax: 3000,
    });
    socket = s as unknown as ChatSocket;
  }
  return socket;
}

/** Whether a socket exists (has been created and not torn down). */
export function hasSocket(): boolean {
  return socket !== null;
}

/** Disconnects and forgets the socket (logout). */
export function closeSocket() {
  const s = socket;
  socket = null;
  if (s) {
    s.off("connect");
    s.disconnect();
  }
}

/** Tests: use `fake` as the app's socket. */
export function installSocket(fake: ChatSocket | null) {
  socket = fake;
}

/** An ack that said no, or no ack at all: `code` is the server's error code, or timeout/disconnected. */
export class AckFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const ACK_TIMEOUT_MS = 8000;

/** Emits `event` with an ack and resolves its result; rejects with an AckFailure. */
export async function emitAck<E extends ClientEvent>(
  event: E,
  payload: ClientEmits[E][0],
  timeoutMs = ACK_TIMEOUT_MS,
): Promise<ClientEmits[E][1]> {
  return emitAckOn<ClientEmits[E][1]>(getSocket(), event, payload, timeoutMs);
}

/** Emits `event` with an ack on `s` (any namespace: /chat, /desk, /support); resolves the ack's
 * result or rejects with an AckFailure (the server's code, or timeout/disconnected). */
export async function emitAckOn<R>(
  s: Pick<ChatSocket, "connected" | "timeout">,
  event: string,
  payload: unknown,
  timeoutMs = ACK_TIMEOUT_MS,
): Promise<R> {
  if (!s.connected) throw new AckFailure("disconnected", "not connected");
  let ack: Ack<R>;
  try {
    ack = (await s.timeout(timeoutMs).emitWithAck(event, payload)) as Ack<R>;
  } catch {
    throw new AckFailure("timeout", "no answer from the server");
  }
  if (!ack || typeof ack !== "object") throw new AckFailure("internal", "bad ack");
  if (ack.ok === false) throw new AckFailure(ack.error.code, ack.error.message);
  return ack;
}

/** A socket mutation's queryFn result: `{ data }` or `{ error: { code, message } }`. */
export async function ackQuery<E extends ClientEvent>(event: E, payload: ClientEmits[E][0], timeoutMs?: number) {
  return ackResult(emitAck(event, payload, timeoutMs));
}

/** `{ data }` from a resolved ack, `{ error: { status, data: { error: { code, message } } } }` from
 * a rejected one (the shape of REST errors, so errorText reads both). */
export async function ackResult<R>(p: Promise<R>) {
  try {
    return { data: await p };
  } catch (e) {
    const f = e as AckFailure;
    const code = f instanceof AckFailure ? f.code : "internal";
    return { error: { status: "CUSTOM_ERROR" as const, error: f.message, data: { error: { code, message: f.message } } } };
  }
}

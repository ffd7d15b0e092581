"use client";
// SupportWidget.tsx - /support, the customer's chat (docs/desk.md; `?embed=1` is the compact
// panel that public/widget.js puts in an iframe on another site). A start form (`Name`,
// `E-mail`, both optional; `Start chat`) creates a widget session; its visitor token stays in
// localStorage, so a reload connects again to /support and `history` brings the conversation
// back. The visitor writes with `message:send` (ack; pending and failed-with-Retry like the
// chat, kept across reloads), sees the desk's answers and typing live, and after the finish rates
// the service (`Rating` radio group, optional comment) and may start a new conversation.
import { useCallback, useEffect, useReducer, useRef, useState, useSyncExternalStore, type FormEvent, type KeyboardEvent } from "react";
import { useSearchParams } from "next/navigation";
import { io, type Socket } from "socket.io-client";
import { emitAckOn, AckFailure } from "@/lib/socket";
import { newClientMsgId } from "@/lib/ids";
import { load, save } from "@/lib/storage";
import type { WidgetService, WidgetSession } from "@/lib/types";
import ThemeToggle from "@/features/theme/ThemeToggle";
import { clock } from "@/features/desk/logic";
import { CallController, type CallSocket } from "@/features/call/callController";
import CallPrompt from "./CallPrompt";
import { initialSupport, serviceStarts, supportReducer, type PendingMessage, type WidgetMessage } from "./supportState";
import styles from "./Support.module.css";

const SESSION_KEY = "sioc.visitor";
const PENDING_KEY = "sioc.visitorPending";

interface StoredSession {
  visitorToken: string;
  name: string;
  expiresAt: number;
}

function storedSession(): StoredSession | null {
  const s = load<StoredSession | null>(SESSION_KEY, null);
  return s && typeof s.visitorToken === "string" && s.expiresAt > Date.now() ? s : null;
}
const noSubscribe = () => () => undefined;

export default function SupportWidget() {
  const embed = useSearchParams().get("embed") === "1";
  const [session, setSession] = useState<StoredSession | null>(storedSession);
  // the static page is rendered without localStorage: nothing until the browser has taken over
  const ready = useSyncExternalStore(noSubscribe, () => true, () => false);
  const end = useCallback(() => {
    save(SESSION_KEY, null);
    save(PENDING_KEY, null);
    setSession(null);
  }, []);
  return (
    <div className={styles.page} data-embed={embed || undefined}>
      <div className={styles.panel}>
        <header className={styles.head}>
          <div>
            <h1>Support</h1>
            <p>We usually answer in a few minutes.</p>
          </div>
          {!embed ? <ThemeToggle className={styles.headButton} /> : null}
          {embed ? (
            <button className={styles.headButton} aria-label="Close chat" onClick={() => window.parent?.postMessage({ type: "sioc-widget:close" }, "*")}>
              ×
            </button>
          ) : null}
        </header>
        {!ready ? null : session ? <Chat key={session.visitorToken} session={session} onEnded={end} /> : <Start onStarted={setSession} />}
      </div>
    </div>
  );
}

function Start({ onStarted }: { onStarted: (s: StoredSession) => void }) {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, string> = {};
      if (name.trim()) body.name = name.trim();
      if (email.trim()) body.email = email.trim();
      const r = await fetch("/v1/api/widget/sessions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const j = (await r.json().catch(() => null)) as (WidgetSession & { error?: { code: string; message: string } }) | null;
      if (!r.ok || !j?.visitorToken) {
        setError(j?.error?.code === "invalid_field" ? "Check the e-mail address." : "The chat cannot start right now. Try again in a moment.");
        return;
      }
      const s = { visitorToken: j.visitorToken, name: j.customer.name, expiresAt: Date.now() + j.expiresIn * 1000 };
      save(SESSION_KEY, s);
      onStarted(s);
    } catch {
      setError("Cannot reach the server. Check your connection and try again.");
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className={styles.start} onSubmit={submit}>
      <p className={styles.lead}>Hi! Tell us who you are (optional) and start the chat.</p>
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} autoComplete="name" maxLength={100} placeholder="Optional" />
      </label>
      <label>
        E-mail
        <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="email" maxLength={254} placeholder="Optional, for a follow-up" />
      </label>
      {error ? <p role="alert" className={styles.error}>{error}</p> : null}
      <button type="submit" className={styles.primary} disabled={busy}>Start chat</button>
    </form>
  );
}

const asAckSocket = (s: Socket) => s as unknown as Parameters<typeof emitAckOn>[0];

function ackErrorText(e: unknown): string {
  const code = e instanceof AckFailure ? e.code : "";
  if (code === "invalid_field" || code === "field_too_long") return "This message is too long.";
  if (code === "timeout") return "No answer from the server.";
  return "It could not be sent.";
}

function Chat({ session, onEnded }: { session: StoredSession; onEnded: () => void }) {
  const [state, dispatch] = useReducer(supportReducer, undefined, () => initialSupport(load<PendingMessage[]>(PENDING_KEY, []).map((p) => ({ ...p, status: "pending" as const }))));
  const sock = useRef<Socket | null>(null);
  const [call] = useState(() => new CallController("callee"));
  const pendingRef = useRef(state.pending);
  useEffect(() => {
    pendingRef.current = state.pending;
    save(PENDING_KEY, state.pending.length ? state.pending : null);
  }, [state.pending]);

  const sendOne = useCallback(async (p: PendingMessage) => {
    const s = sock.current;
    if (!s) return;
    try {
      const ack = await emitAckOn<{ message: WidgetMessage }>(asAckSocket(s), "message:send", { body: p.body, clientMsgId: p.clientMsgId });
      dispatch({ type: "message", message: ack.message });
    } catch (e) {
      const code = e instanceof AckFailure ? e.code : "";
      if (code !== "disconnected" && code !== "timeout") dispatch({ type: "failed", clientMsgId: p.clientMsgId, error: ackErrorText(e) });
    }
  }, []);
  const flush = useCallback(async () => {
    for (const p of pendingRef.current.filter((x) => x.status === "pending")) await sendOne(p);
  }, [sendOne]);

  useEffect(() => {
    const s = io("/support", { auth: { visitorToken: session.visitorToken }, transports: ["websocket", "polling"], reconnectionDelay: 500, reconnectionDelayMax: 3000 });
    sock.current = s;
    const detachCall = call.attach(s as unknown as CallSocket);
    s.on("connect", () => dispatch({ type: "connected", connected: true }));
    s.on("disconnect", () => dispatch({ type: "connected", connected: false }));
    s.on("connect_error", (err: Error & { data?: { code?: string } }) => {
      const code = err.data?.code;
      if (code === "visitor_token_expired" || code === "visitor_token_invalid" || code === "visitor_token_missing") onEnded();
    });
    s.on("history", (h: { messages: WidgetMessage[]; service: WidgetService | null }) => {
      dispatch({ type: "history", messages: h.messages, service: h.service });
      void flush();
    });
    s.on("message:new", (m: WidgetMessage) => dispatch({ type: "message", message: m }));
    s.on("typing", (t: { typing: boolean }) => dispatch({ type: "typing", typing: t.typing }));
    s.on("rating:request", (r: { serviceId: number }) => dispatch({ type: "ratingRequest", serviceId: r.serviceId }));
    return () => {
      detachCall();
      s.removeAllListeners();
      s.disconnect();
      sock.current = null;
    };
  }, [session.visitorToken, onEnded, flush, call]);

  // the visitor has seen the desk's answers: read receipts
  const lastOut = [...state.messages].reverse().find((m) => m.direction === "out");
  useEffect(() => {
    if (lastOut && lastOut.state !== "read" && sock.current?.connected && !document.hidden) {
      sock.current.emit("message:read", { serviceId: lastOut.serviceId, seq: lastOut.seq });
    }
  }, [lastOut]);

  const send = (body: string) => {
    const item: PendingMessage = { clientMsgId: newClientMsgId(), body, createdAt: Date.now(), status: "pending" };
    dispatch({ type: "queued", item });
    void sendOne(item);
  };
  const end = useRef<HTMLDivElement>(null);
  const count = state.messages.length + state.pending.length;
  useEffect(() => {
    end.current?.scrollIntoView({ block: "end" });
  }, [count, state.ratingFor, state.thanked]);
  const starts = serviceStarts(state.messages);
  const finished = state.service?.status === "finished";
  return (
    <div className={styles.chat}>
      {!state.connected && state.loaded ? <p role="status" className={styles.banner}>Reconnecting…</p> : null}
      <CallPrompt call={call} />
      <div className={styles.scroll}>
        {!state.loaded ? (
          <div className={styles.skeleton} role="progressbar" aria-label="Loading the conversation"><span /><span /></div>
        ) : null}
        {state.loaded && count === 0 ? <p className={styles.empty}>Ask us anything — an attendant will answer here.</p> : null}
        <ul className={styles.messages} aria-label="Messages">
          {state.messages.map((m) => (
            <li key={m.id} className={styles.msg} data-dir={m.direction}>
              {starts.has(m.id) ? <div className={styles.divider}>New conversation</div> : null}
              <div className={styles.bubble}>
                <span className="sr-only">{m.direction === "in" ? "You" : "Support"}: </span>
                <span className={styles.body}>{m.body}</span>
                <time className={styles.time} dateTime={new Date(m.createdAt).toISOString()}>{clock(m.createdAt)}</time>
              </div>
            </li>
          ))}
          {state.pending.map((p) => (
            <li key={p.clientMsgId} className={styles.msg} data-dir="in">
              <div className={styles.bubble} data-pending>
                <span className={styles.body}>{p.body}</span>
                {p.status === "pending" ? (
                  <small className={styles.time}>Sending…</small>
                ) : (
                  <small className={styles.failed} role="alert">
                    Not sent: {p.error}{" "}
                    <button
                      className={styles.link}
                      onClick={() => {
                        dispatch({ type: "retried", clientMsgId: p.clientMsgId });
                        void sendOne({ ...p, status: "pending" });
                      }}
                    >
                      Retry
                    </button>
                  </small>
                )}
              </div>
            </li>
          ))}
        </ul>
        {finished && state.ratingFor === null && !state.thanked ? <p className={styles.note}>This conversation is finished. Write to start a new one.</p> : null}
        {state.ratingFor !== null ? (
          <RatingForm
            serviceId={state.ratingFor}
            onSubmit={async (rating, comment) => {
              const s = sock.current;
              if (!s) throw new AckFailure("disconnected", "not connected");
              const ack = await emitAckOn<{ service: WidgetService }>(asAckSocket(s), "rating:submit", { serviceId: state.ratingFor, rating, ...(comment ? { comment } : {}) });
              dispatch({ type: "rated", service: ack.service });
            }}
            onSkip={() => dispatch({ type: "newConversation" })}
          />
        ) : null}
        {state.thanked ? (
          <div className={styles.thanks} role="status">
            <p>Thank you for your rating!</p>
            <button className={styles.secondary} onClick={() => dispatch({ type: "newConversation" })}>New conversation</button>
          </div>
        ) : null}
        <div ref={end} />
      </div>
      <p className={styles.typing} aria-live="polite">{state.attendantTyping ? "Support is typing…" : ""}</p>
      {state.ratingFor === null ? <Composer onSend={send} onTyping={(t) => sock.current?.emit("typing", { typing: t })} /> : null}
    </div>
  );
}

function RatingForm({ serviceId, onSubmit, onSkip }: { serviceId: number; onSubmit: (rating: number, comment: string) => Promise<void>; onSkip: () => void }) {
  const [rating, setRating] = useState(0);
  const [comment, setComment] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      className={styles.rating}
      aria-labelledby={`rate-${serviceId}`}
      onSubmit={async (e) => {
        e.preventDefault();
        if (!rating) return setError("Pick from 1 to 5 stars.");
        setBusy(true);
        try {
          await onSubmit(rating, comment.trim());
        } catch (err) {
          const code = err instanceof AckFailure ? err.code : "";
          setError(code === "already_rated" ? "This conversation is already rated." : "The rating could not be sent. Try again.");
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2 id={`rate-${serviceId}`}>How did we do?</h2>
      <div role="radiogroup" aria-label="Rating" className={styles.stars}>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n} className={styles.star} data-on={n <= rating || undefined}>
            <input type="radio" name={`rating-${serviceId}`} value={n} checked={rating === n} onChange={() => setRating(n)} aria-label={`${n} star${n > 1 ? "s" : ""}`} />
            <span aria-hidden="true">★</span>
          </label>
        ))}
      </div>
      <label className={styles.commentLabel}>
        Comment (optional)
        <textarea value={comment} onChange={(e) => setComment(e.target.value)} rows={2} maxLength={1000} />
      </label>
      {error ? <p role="alert" className={styles.error}>{error}</p> : null}
      <div className={styles.ratingButtons}>
        <button type="button" className={styles.secondary} onClick={onSkip}>Skip</button>
        <button type="submit" className={styles.primary} disabled={busy}>Send rating</button>
      </div>
    </form>
  );
}

function Composer({ onSend, onTyping }: { onSend: (body: string) => void; onTyping: (typing: boolean) => void }) {
  const [text, setText] = useState("");
  const typing = useRef<{ on: boolean; timer: ReturnType<typeof setTimeout> | null }>({ on: false, timer: null });
  const stop = () => {
    if (typing.current.timer) clearTimeout(typing.current.timer);
    if (typing.current.on) onTyping(false);
    typing.current = { on: false, timer: null };
  };
  function changed(v: string) {
    setText(v);
    if (!typing.current.on && v.trim()) {
      typing.current.on = true;
      onTyping(true);
    }
    if (typing.current.timer) clearTimeout(typing.current.timer);
    typing.current.timer = setTimeout(stop, 3000);
  }
  function send() {
    const body = text.trim();
    if (!body) return;
    onSend(body);
    setText("");
    stop();
  }
  return (
    <form className={styles.composer} onSubmit={(e) => { e.preventDefault(); send(); }}>
      <textarea
        aria-label="Message"
        placeholder="Write a message"
        rows={1}
        value={text}
        maxLength={4000}
        onChange={(e) => changed(e.target.value)}
        onKeyDown={(e: KeyboardEvent<HTMLTextAreaElement>) => {
          if (e.key === "Enter" && !e.shiftKey) {
            e.preventDefault();
            send();
          }
        }}
      />
      <button type="submit" className={styles.primary}>Send</button>
    </form>
  );
}

"use client";
// MessageList.tsx - the `Messages` of one service, both directions: the customer's on the left,
// the desk's on the right with the attendant's name and delivery state; attachments inline (an
// image, an audio player, or a download link); then the answers not yet acknowledged (Sending…,
// or Not sent with Retry). Shared by /desk and the service detail of /admin.
import { useEffect, useRef } from "react";
import type { Attachment, DeskMessage, DeskUser } from "@/lib/types";
import type { DeskOutboxItem } from "./deskSlice";
import { clock, fileSize, stateText } from "./logic";
import styles from "./Desk.module.css";

export function Attachments({ items }: { items: Attachment[] | undefined }) {
  if (!items || items.length === 0) return null;
  return (
    <div className={styles.attachments}>
      {items.map((a) =>
        a.type.startsWith("image/") ? (
          <a key={a.id} href={a.url} target="_blank" rel="noreferrer">
            {/* eslint-disable-next-line @next/next/no-img-element */}
            <img src={a.thumbUrl ?? a.url} alt={a.name} className={styles.image} loading="lazy" />
          </a>
        ) : a.type.startsWith("audio/") ? (
          <audio key={a.id} controls src={a.url} aria-label={a.name} className={styles.audio} />
        ) : (
          <a key={a.id} href={a.url} download={a.name} className={styles.file}>
            {a.name} ({fileSize(a.size)})
          </a>
        ),
      )}
    </div>
  );
}

export default function MessageList({
  messages,
  staff,
  customerName,
  pending = [],
  onRetry,
  onDiscard,
}: {
  messages: DeskMessage[];
  staff: Record<number, DeskUser> | undefined;
  customerName: string;
  pending?: DeskOutboxItem[];
  onRetry?: (clientMsgId: string) => void;
  onDiscard?: (clientMsgId: string) => void;
}) {
  const end = useRef<HTMLDivElement>(null);
  const count = messages.length + pending.length;
  useEffect(() => {
    end.current?.scrollIntoView({ block: "end" });
  }, [count]);
  return (
    <div className={styles.scroll}>
      {count === 0 ? <p className={styles.emptySmall}>No messages in this service yet.</p> : null}
      <ul className={styles.messages} aria-label="Messages">
        {messages.map((m) => {
          const who = m.direction === "in" ? customerName : (staff?.[m.authorId ?? 0]?.displayName ?? "Attendant");
          return (
            <li key={m.id} className={styles.msg} data-dir={m.direction}>
              <div className={styles.bubble}>
                <div className={styles.msgMeta}>
                  <span className={styles.who}>{who}</span>
                  <time dateTime={new Date(m.createdAt).toISOString()}>{clock(m.createdAt)}</time>
                </div>
                {m.body ? <div className={styles.msgBody}>{m.body}</div> : null}
                <Attachments items={m.attachments} />
                {m.direction === "out" ? <small className={styles.msgState} data-state={m.state}>{stateText(m.state)}</small> : null}
              </div>
            </li>
          );
        })}
        {pending.map((p) => (
          <li key={p.clientMsgId} className={styles.msg} data-dir="out">
            <div className={styles.bubble} data-pending>
              <div className={styles.msgBody}>{p.body}</div>
              {p.status === "pending" ? (
                <small className={styles.msgState}>Sending…</small>
              ) : (
                <small className={styles.failed} role="alert">
                  Not sent: {p.error}{" "}
                  {onRetry ? <button className={styles.link} onClick={() => onRetry(p.clientMsgId)}>Retry</button> : null}{" "}
                  {onDiscard ? <button className={styles.link} onClick={() => onDiscard(p.clientMsgId)}>Discard</button> : null}
                </small>
              )}
            </div>
          </li>
        ))}
      </ul>
      <div ref={end} />
    </div>
  );
}

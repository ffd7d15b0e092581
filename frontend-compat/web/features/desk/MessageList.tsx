"use client";
// MessageList.tsx - the `Messages` of one service, both directions: the customer's on the left,
// the desk's on the right with the attendant's name and delivery state (a failed one with the
// channel's error); attachments inline through the chat's AttachmentList (the bytes need the
// bearer token: fetched into blob: URLs); WhatsApp bodies (media, location, contacts, template)
// through WaMessage; then the answers not yet acknowledged (Sending…, or Not sent with Retry).
// Shared by /desk and the service detail of /admin.
import { useEffect, useRef } from "react";
import { useAppSelector } from "@/lib/hooks";
import type { DeskMessage, DeskUser } from "@/lib/types";
import { AttachmentList } from "@/features/messages/Attachments";
import { selectDesk, type DeskOutboxItem } from "./deskSlice";
import { clock, stateText } from "./logic";
import { DeliveryFailure, WaBodyView } from "./WaMessage";
import { failureText } from "./whatsapp";
import styles from "./Desk.module.css";

export default function MessageList({
  messages,
  staff,
  customerName,
  pending = [],
  onRetry,
  onDiscard,
  channel,
}: {
  /** the service's channel: "whatsapp" bodies are read back (WaMessage) */
  channel?: string;
  messages: DeskMessage[];
  staff: Record<number, DeskUser> | undefined;
  customerName: string;
  pending?: DeskOutboxItem[];
  onRetry?: (clientMsgId: string) => void;
  onDiscard?: (clientMsgId: string) => void;
}) {
  const end = useRef<HTMLDivElement>(null);
  const errors = useAppSelector(selectDesk).deliveryErrors;
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
          const files = m.attachments && m.attachments.length > 0 ? <AttachmentList attachments={m.attachments} /> : null;
          return (
            <li key={m.id} className={styles.msg} data-dir={m.direction}>
              <div className={styles.bubble} data-failed={m.state === "failed" || undefined}>
                <div className={styles.msgMeta}>
                  <span className={styles.who}>{who}</span>
                  <time dateTime={new Date(m.createdAt).toISOString()}>{clock(m.createdAt)}</time>
                </div>
                {channel === "whatsapp" ? (
                  <>
                    {files /* as WhatsApp shows it: the file, its caption under it */}
                    <WaBodyView body={m.body} withFiles={files !== null} />
                  </>
                ) : (
                  <>
                    {m.body ? <div className={styles.msgBody}>{m.body}</div> : null}
                    {files}
                  </>
                )}
                {m.direction === "out" ? <small className={styles.msgState} data-state={m.state}>{stateText(m.state)}</small> : null}
                {m.direction === "out" && m.state === "failed" ? <DeliveryFailure error={failureText(errors[m.id], m.error)} /> : null}
              </div>
            </li>
          );
        })}
        {pending.map((p) => (
          <li key={p.clientMsgId} className={styles.msg} data-dir="out">
            <div className={styles.bubble} data-pending={p.status === "pending" || undefined} data-failed={p.status === "failed" || undefined}>
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

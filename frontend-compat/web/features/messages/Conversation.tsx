"use client";
// Conversation.tsx - the open chat: the virtualized `Messages` list (react-virtuoso; older pages
// load when scrolled to the top), pending/failed outbox messages, typing line, and the composer
// (`Message` field: Enter sends, Shift+Enter new line; `Send` button).
import { forwardRef, useEffect, useMemo, useState, type HTMLAttributes, type KeyboardEvent } from "react";
import { Virtuoso } from "react-virtuoso";
import { useAppDispatch, useAppSelector } from "@/lib/hooks";
import { selectMe } from "@/features/auth/authSlice";
import type { Chat } from "@/lib/types";
import { displayName, useGetUsersQuery } from "@/features/users/usersApi";
import { retried, selectOutbox } from "./outboxSlice";
import {
  flushOutbox,
  sendChatMessage,
  useGetMessagesQuery,
  useGetTypingQuery,
  useLoadOlderMutation,
  useMarkReadMutation,
} from "./messagesApi";
import styles from "./Conversation.module.css";

const List = forwardRef<HTMLDivElement, HTMLAttributes<HTMLDivElement>>(function List(props, ref) {
  return <div {...props} ref={ref} role="list" aria-label="Messages" />;
});

export default function Conversation({ chat }: { chat: Chat }) {
  const dispatch = useAppDispatch();
  const me = useAppSelector(selectMe);
  const { data, isLoading } = useGetMessagesQuery(chat.id);
  const { data: users } = useGetUsersQuery();
  const { data: typing } = useGetTypingQuery(chat.id);
  const outbox = useAppSelector(selectOutbox);
  const [loadOlder] = useLoadOlderMutation();
  const [markRead] = useMarkReadMutation();
  const [text, setText] = useState("");
  const pending = useMemo(() => {
    const have = new Set((data?.messages ?? []).map((m) => m.clientMsgId));
    return outbox.filter((o) => o.chatId === chat.id && !have.has(o.clientMsgId));
  }, [outbox, data, chat.id]);
  const items = useMemo(
    () => [
      ...(data?.messages ?? []).map((m) => ({ key: `m${m.id}`, author: m.authorId, body: m.deleted ? "This message was deleted" : m.body, at: m.createdAt, state: m.editedAt ? "edited" : "" })),
      ...pending.map((o) => ({ key: o.clientMsgId, author: me?.id ?? 0, body: o.body, at: o.createdAt, state: o.status === "failed" ? `failed: ${o.error}` : "sending…", id: o.clientMsgId })),
    ],
    [data, pending, me],
  );
  const lastSeq = data?.messages.at(-1)?.seq ?? 0;
  useEffect(() => {
    if (lastSeq > (chat.lastReadSeq ?? 0)) void markRead({ chatId: chat.id, seq: lastSeq });
  }, [lastSeq, chat.id, chat.lastReadSeq, markRead]);
  const firstItemIndex = 1_000_000 - (data?.messages.length ?? 0);
  function send() {
    const body = text.trim();
    if (!body) return;
    dispatch(sendChatMessage(chat.id, body));
    setText("");
  }
  function onKey(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      send();
    }
  }
  const typists = Object.entries(typing ?? {}).filter(([id]) => Number(id) !== me?.id).map(([id, t]) => displayName(users, Number(id)) || t.name);
  return (
    <div className={styles.wrap}>
      {isLoading ? <p className={styles.muted}>Loading messages…</p> : null}
      {data && items.length === 0 ? <p className={styles.muted}>No messages yet — say hello.</p> : null}
      <Virtuoso
        className={styles.list}
        data={items}
        firstItemIndex={firstItemIndex}
        initialTopMostItemIndex={Math.max(0, items.length - 1)}
        followOutput="auto"
        startReached={() => {
          if (data?.nextBefore) void loadOlder({ chatId: chat.id, before: data.nextBefore });
        }}
        components={{ List }}
        computeItemKey={(_i, it) => it.key}
        itemContent={(_i, it) => {
          const u = users?.[it.author];
          return (
            <div role="listitem" className={styles.item}>
              <span className={styles.author} style={{ color: u?.nameColor }}>{displayName(users, it.author)}</span>{" "}
              <time className={styles.muted}>{new Date(it.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}</time>
              <div className={styles.body}>{it.body}</div>
              {it.state ? <small className={styles.muted}>{it.state}</small> : null}
              {"id" in it && it.state.startsWith("failed") ? (
                <button onClick={() => { dispatch(retried(it.id as string)); void dispatch(flushOutbox()); }}>Retry</button>
              ) : null}
            </div>
          );
        }}
      />
      <p className={styles.typing} aria-live="polite">{typists.length ? `${typists.join(", ")} ${typists.length > 1 ? "are" : "is"} typing…` : ""}</p>
      <form className={styles.composer} onSubmit={(e) => { e.preventDefault(); send(); }}>
        <textarea aria-label="Message" placeholder="Write a message" rows={1} value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKey} />
        <button type="submit">Send</button>
      </form>
    </div>
  );
}

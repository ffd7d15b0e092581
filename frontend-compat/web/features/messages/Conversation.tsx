"use client";
// Conversation.tsx - the open chat: the virtualized `Messages` list (react-virtuoso; older pages
// load when scrolled to the top) grouped by author and day, each message with its reactions and,
// on hover or focus, actions (react; edit and delete for one's own), "Seen by" under the newest
// message each member has read, pending/failed outbox messages, the typing line, and the
// composer (`Message` field: Enter sends, Shift+Enter new line; `Emoji` picker; `Attach file`,
// paste or drop of files; `Record voice note`; `Send`). Attachments: Attachments.tsx.
import { forwardRef, memo, useCallback, useEffect, useMemo, useRef, useState, type HTMLAttributes, type KeyboardEvent } from "react";
import dynamic from "next/dynamic";
import { Virtuoso } from "react-virtuoso";
import { useAppDispatch, useAppSelector } from "@/lib/hooks";
import { selectMe } from "@/features/auth/authSlice";
import { colorOf } from "@/lib/color";
import type { Attachment, Chat, Message } from "@/lib/types";
import { displayName, useGetUsersQuery, type UsersById } from "@/features/users/usersApi";
import { useGetChatDetailQuery } from "@/features/chats/chatsApi";
import { retried, selectOutbox } from "./outboxSlice";
import {
  flushOutbox,
  sendChatMessage,
  useDeleteMessageMutation,
  useEditMessageMutation,
  useGetMessagesQuery,
  useGetTypingQuery,
  useLoadOlderMutation,
  useMarkReadMutation,
  useReactMutation,
  useSetTypingMutation,
} from "./messagesApi";
import { buildRows, seenByMessage, type Row } from "./rows";
import { AttachButton, AttachmentList, DropZone, UploadList, useUploads, VoiceButton } from "./Attachments";
import styles from "./Conversation.module.css";

const EmojiPanel = dynamic(() => import("./EmojiPanel"), { ssr: false, loading: () => <p className={styles.muted}>Loading emoji…</p> });

/** The quick reactions offered on every message. */
export const QUICK_REACTIONS = ["👍", "❤️", "😂", "🎉", "😮"];
const TYPING_IDLE_MS = 3000;

const List = forwardRef<HTMLDivElement, HTMLAttributes<HTMLDivElement>>(function List(props, ref) {
  return <div {...props} ref={ref} role="list" aria-label="Messages" />;
});

export default function Conversation({ chat }: { chat: Chat }) {
  const dispatch = useAppDispatch();
  const me = useAppSelector(selectMe);
  const { data, isLoading } = useGetMessagesQuery(chat.id);
  const { data: users } = useGetUsersQuery();
  const { data: typing } = useGetTypingQuery(chat.id);
  // read positions of the members, for "Seen by" (not kept for public channels: too many readers)
  const { data: detail } = useGetChatDetailQuery({ id: chat.id, type: chat.type }, { skip: chat.type === "public" });
  const outbox = useAppSelector(selectOutbox);
  const [loadOlder] = useLoadOlderMutation();
  const [markRead] = useMarkReadMutation();
  const [reactM] = useReactMutation();
  const [deleteM] = useDeleteMessageMutation();
  // stable across renders so that memoized rows re-render only when their own data changes
  const onReact = useCallback(
    (m: Message, emoji: string, add: boolean) => void reactM({ messageId: m.id, chatId: m.chatId, emoji, add }),
    [reactM],
  );
  const onDelete = useCallback((m: Message) => deleteM({ messageId: m.id, chatId: m.chatId }).then(() => undefined), [deleteM]);
  const pending = useMemo(() => {
    const have = new Set((data?.messages ?? []).map((m) => m.clientMsgId));
    return outbox.filter((o) => o.chatId === chat.id && !have.has(o.clientMsgId));
  }, [outbox, data, chat.id]);
  const seen = useMemo(() => seenByMessage(data?.messages ?? [], detail?.reads ?? {}, me?.id ?? 0), [data, detail, me]);
  const rows = useMemo(() => buildRows(data?.messages ?? [], pending, me?.id ?? 0), [data, pending, me]);
  const lastSeq = data?.messages.at(-1)?.seq ?? 0;
  useEffect(() => {
    if (lastSeq > (chat.lastReadSeq ?? 0)) void markRead({ chatId: chat.id, seq: lastSeq });
  }, [lastSeq, chat.id, chat.lastReadSeq, markRead]);
  const firstItemIndex = 1_000_000 - (data?.messages.length ?? 0);
  const typists = Object.entries(typing ?? {})
    .filter(([id]) => Number(id) !== me?.id)
    .map(([id, t]) => (users?.[Number(id)] ? displayName(users, Number(id)) : t.name));
  return (
    <div className={styles.wrap}>
      {isLoading ? <Skeleton /> : null}
      {data && rows.length === 0 ? <p className={styles.empty}>No messages yet — say hello.</p> : null}
      {data && rows.length > 0 ? (
        <Virtuoso
          className={styles.list}
          data={rows}
          firstItemIndex={firstItemIndex}
          initialTopMostItemIndex={Math.max(0, rows.length - 1)}
          followOutput="auto"
          startReached={() => {
            if (data?.nextBefore) void loadOlder({ chatId: chat.id, before: data.nextBefore });
          }}
          components={{ List }}
          computeItemKey={(_i, r) => r.key}
          itemContent={(_i, r) => (
            <MessageRow row={r} users={users} meId={me?.id ?? 0} seenBy={r.message ? seen.get(r.message.id) : undefined} onReact={onReact} onDelete={onDelete} />
          )}
        />
      ) : null}
      <p className={styles.typing} aria-live="polite">
        {typists.length ? `${typists.join(", ")} ${typists.length > 1 ? "are" : "is"} typing…` : ""}
      </p>
      <Composer chatId={chat.id} onSent={(body, files) => dispatch(sendChatMessage(chat.id, body, files))} />
    </div>
  );
}

function Skeleton() {
  return (
    <div className={styles.skeleton} aria-label="Loading messages" role="progressbar">
      {[70, 45, 85, 55].map((w, i) => (
        <div key={i}>
          <span style={{ width: "18%" }} />
          <span style={{ width: `${w}%` }} />
        </div>
      ))}
    </div>
  );
}

interface RowProps {
  row: Row;
  users: UsersById | undefined;
  meId: number;
  seenBy?: number[];
  onReact: (m: Message, emoji: string, add: boolean) => void;
  onDelete: (m: Message) => Promise<void>;
}

/** One message; memoized: scrolling mounts rows, it does not re-render those already shown. */
const MessageRow = memo(function MessageRow({ row, users, meId, seenBy, onReact, onDelete }: RowProps) {
  const dispatch = useAppDispatch();
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const author = users?.[row.authorId];
  const name = displayName(users, row.authorId);
  const m = row.message;
  const mine = row.authorId === meId;
  const time = new Date(row.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return (
    <div role="listitem" className={styles.item} data-first={row.first || undefined}>
      {row.day ? <div className={styles.day}><span>{row.day}</span></div> : null}
      <div className={styles.message}>
        {row.first ? (
          <div className={styles.meta}>
            <span className={styles.author} style={{ "--name": colorOf(author ?? { id: row.authorId }) } as React.CSSProperties}>{name}</span>
            <time dateTime={new Date(row.at).toISOString()} className={styles.time}>{time}</time>
          </div>
        ) : (
          <span className="sr-only">{name} {time}</span>
        )}
        {editing && m ? (
          <EditBox message={m} onDone={() => setEditing(false)} />
        ) : (
          <>
            {row.body || m?.deleted || !row.attachments?.length ? (
              <div className={m?.deleted ? `${styles.body} ${styles.deleted}` : styles.body}>
                {m?.deleted ? "This message was deleted" : row.body}
                {m?.editedAt && !m.deleted ? <span className={styles.edited}> (edited)</span> : null}
              </div>
            ) : null}
            {row.attachments?.length ? <AttachmentList attachments={row.attachments} /> : null}
          </>
        )}
        {row.pending === "sending" ? <small className={styles.state}>Sending…</small> : null}
        {row.pending === "failed" ? (
          <small className={styles.failed}>
            Not sent: {row.error}{" "}
            <button className={styles.link} onClick={() => { dispatch(retried(row.key)); void dispatch(flushOutbox()); }}>Retry</button>
          </small>
        ) : null}
        {m && m.reactions && m.reactions.length > 0 ? (
          <div className={styles.reactions}>
            {m.reactions.map((r) => {
              const minePicked = r.userIds.includes(meId);
              const who = r.userIds.map((id) => displayName(users, id)).join(", ");
              return (
                <button
                  key={r.emoji}
                  className={styles.chip}
                  aria-pressed={minePicked}
                  title={who}
                  aria-label={`${r.emoji} ${r.count}, ${who}`}
                  onClick={() => onReact(m, r.emoji, !minePicked)}
                >
                  {r.emoji} {r.count}
                </button>
              );
            })}
          </div>
        ) : null}
        {seenBy && seenBy.length > 0 ? (
          <small className={styles.seen}>Seen by {seenBy.map((id) => displayName(users, id)).join(", ")}</small>
        ) : null}
        {m && !m.deleted && !editing ? (
          <div className={styles.actions} role="group" aria-label="Message actions">
            {confirming ? (
              <>
                <span className={styles.ask}>Delete this message?</span>
                <button onClick={() => void onDelete(m).then(() => setConfirming(false))}>Delete</button>
                <button onClick={() => setConfirming(false)}>Cancel</button>
              </>
            ) : (
              <>
                {QUICK_REACTIONS.map((e) => (
                  <button
                    key={e}
                    aria-label={`React with ${e}`}
                    onClick={() => {
                      const has = m.reactions?.some((r) => r.emoji === e && r.userIds.includes(meId));
                      onReact(m, e, !has);
                    }}
                  >
                    {e}
                  </button>
                ))}
                {mine ? <button onClick={() => setEditing(true)}>Edit</button> : null}
                {mine ? <button onClick={() => setConfirming(true)}>Delete</button> : null}
              </>
            )}
          </div>
        ) : null}
      </div>
    </div>
  );
});

function EditBox({ message, onDone }: { message: Message; onDone: () => void }) {
  const [text, setText] = useState(message.body);
  const [edit, state] = useEditMessageMutation();
  async function save() {
    const body = text.trim();
    if (!body || body === message.body) return onDone();
    const res = await edit({ messageId: message.id, chatId: message.chatId, body });
    if ("data" in res) onDone();
  }
  return (
    <div className={styles.edit}>
      <textarea
        aria-label="Edit message"
        value={text}
        autoFocus
        rows={2}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey) {
            e.preventDefault();
            void save();
          } else if (e.key === "Escape") onDone();
        }}
      />
      <div className={styles.editButtons}>
        {state.isError ? <span className={styles.failed}>Could not save — try again</span> : null}
        <button onClick={onDone}>Cancel</button>
        <button className={styles.save} onClick={() => void save()}>Save</button>
      </div>
    </div>
  );
}

function Composer({ chatId, onSent }: { chatId: number; onSent: (body: string, files: Attachment[]) => void }) {
  const [text, setText] = useState("");
  const files = useUploads();
  const [micError, setMicError] = useState("");
  const addFiles = (list: File[]) => list.forEach((f) => files.start(f, f.name || "pasted-file"));
  const [emojiOpen, setEmojiOpen] = useState(false);
  const [setTyping] = useSetTypingMutation();
  const typingRef = useRef<{ on: boolean; timer: ReturnType<typeof setTimeout> | null }>({ on: false, timer: null });
  const input = useRef<HTMLTextAreaElement>(null);
  function stopTyping() {
    const t = typingRef.current;
    if (t.timer) clearTimeout(t.timer);
    t.timer = null;
    if (t.on) void setTyping({ chatId, typing: false });
    t.on = false;
  }
  useEffect(() => stopTyping, [chatId]); // eslint-disable-line react-hooks/exhaustive-deps
  function changed(v: string) {
    setText(v);
    const t = typingRef.current;
    if (!t.on && v.trim()) {
      t.on = true;
      void setTyping({ chatId, typing: true });
    }
    if (t.timer) clearTimeout(t.timer);
    t.timer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }
  function send() {
    const body = text.trim();
    if ((!body && files.ready.length === 0) || files.busy) return;
    onSent(body, files.ready);
    setText("");
    files.clear();
    setMicError("");
    stopTyping();
  }
  function onKey(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      send();
    } else if (e.key === "Escape") setEmojiOpen(false);
  }
  return (
    <DropZone onFiles={addFiles} className={styles.composerWrap}>
    <UploadList uploads={files.uploads} onRemove={files.remove} />
    {micError ? <p className={styles.failed} role="alert">{micError}</p> : null}
    <form className={styles.composer} onSubmit={(e) => { e.preventDefault(); send(); }}>
      {emojiOpen ? (
        <div className={styles.emoji}>
          <EmojiPanel
            onPick={(e) => {
              setText((t) => t + e);
              input.current?.focus();
            }}
          />
        </div>
      ) : null}
      <button type="button" className={styles.emojiButton} aria-label="Emoji" aria-expanded={emojiOpen} onClick={() => setEmojiOpen((o) => !o)}>
        ☺
      </button>
      <AttachButton onFiles={addFiles} />
      <VoiceButton onRecorded={(blob, name) => files.start(blob, name)} onError={setMicError} />
      <textarea ref={input} aria-label="Message" placeholder="Write a message" rows={1} value={text} onChange={(e) => changed(e.target.value)} onKeyDown={onKey} />
      <button type="submit" className={styles.send} disabled={files.busy} aria-disabled={files.busy}>Send</button>
    </form>
    </DropZone>
  );
}

"use client";
// ChannelsDialog.tsx - public channels: browse them (Join, or Open for those already joined) and
// create one (`Channel name`, optional `Topic`). Joining or creating opens the channel.
import { useState, type FormEvent } from "react";
import Dialog from "@/components/Dialog";
import form from "@/components/form.module.css";
import { errorText } from "@/lib/api";
import { useCreateChannelMutation, useGetPublicChatsQuery, useJoinChannelMutation } from "./chatsApi";

export default function ChannelsDialog({ open, onClose, onOpen }: { open: boolean; onClose: () => void; onOpen: (chatId: number) => void }) {
  return (
    <Dialog title="Channels" open={open} onClose={onClose}>
      <Channels onOpen={(id) => { onClose(); onOpen(id); }} />
    </Dialog>
  );
}

function Channels({ onOpen }: { onOpen: (chatId: number) => void }) {
  const { data: channels, isLoading, error } = useGetPublicChatsQuery(undefined, { refetchOnMountOrArgChange: true });
  const [join, joinState] = useJoinChannelMutation();
  const [create, createState] = useCreateChannelMutation();
  const [name, setName] = useState("");
  const [topic, setTopic] = useState("");
  async function submit(e: FormEvent) {
    e.preventDefault();
    const res = await create({ name: name.trim(), topic: topic.trim() || undefined });
    if ("data" in res && res.data) onOpen(res.data.id);
  }
  const failure = error ?? joinState.error;
  return (
    <>
      {isLoading ? <p className={form.muted}>Loading channels…</p> : null}
      {channels && channels.length === 0 ? <p className={form.muted}>No channels yet — create the first one below.</p> : null}
      {channels && channels.length > 0 ? (
        <ul className={form.list} aria-label="Public channels">
          {channels.map((c) => (
            <li key={c.id}>
              <span className={form.stack}>
                <span>#{c.name}</span>
                <span className={form.muted}>
                  {c.memberCount} {c.memberCount === 1 ? "member" : "members"}
                  {c.topic ? ` · ${c.topic}` : ""}
                </span>
              </span>
              {c.joined ? (
                <button type="button" className={form.secondary} onClick={() => onOpen(c.id)} aria-label={`Open #${c.name}`}>Open</button>
              ) : (
                <button
                  type="button"
                  className={form.primary}
                  aria-label={`Join #${c.name}`}
                  onClick={async () => {
                    const res = await join(c.id);
                    if ("data" in res) onOpen(c.id);
                  }}
                >
                  Join
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : null}
      {failure ? <p role="alert" className={form.error}>{errorText(failure)}</p> : null}
      <form onSubmit={submit} style={{ display: "flex", flexDirection: "column", gap: 12 }}>
        <label className={form.field}>
          Channel name
          <input value={name} onChange={(e) => setName(e.target.value)} pattern="[A-Za-z0-9_.\-]{1,64}" title="letters, digits, _ . - (at most 64)" placeholder="e.g. general" required />
        </label>
        <label className={form.field}>
          Topic
          <input value={topic} onChange={(e) => setTopic(e.target.value)} maxLength={250} placeholder="What is it about? (optional)" />
        </label>
        {createState.error ? <p role="alert" className={form.error}>{errorText(createState.error)}</p> : null}
        <div className={form.row}>
          <button type="submit" className={form.primary} disabled={createState.isLoading}>Create channel</button>
        </div>
      </form>
    </>
  );
}

"use client";
// GroupDialog.tsx - groups: `New group` (a `Group name` and the members, chosen by name) and the
// settings of an open group (rename; members with Remove; Add member), for its owner and admins.
// Plain members see the member list only.
import { useMemo, useState, type FormEvent } from "react";
import Dialog from "@/components/Dialog";
import form from "@/components/form.module.css";
import { errorText } from "@/lib/api";
import type { Chat, User } from "@/lib/types";
import { useGetUsersQuery, userName } from "@/features/users/usersApi";
import { useCreateGroupMutation, useGetChatDetailQuery, useUpdateGroupMutation } from "./chatsApi";

const byName = (a: User, b: User) => userName(a).localeCompare(userName(b));

export function NewGroupDialog({ meId, open, onClose, onOpen }: { meId: number; open: boolean; onClose: () => void; onOpen: (chatId: number) => void }) {
  return (
    <Dialog title="New group" open={open} onClose={onClose}>
      <NewGroup meId={meId} onCancel={onClose} onOpen={(id) => { onClose(); onOpen(id); }} />
    </Dialog>
  );
}

function NewGroup({ meId, onCancel, onOpen }: { meId: number; onCancel: () => void; onOpen: (chatId: number) => void }) {
  const { data: users } = useGetUsersQuery();
  const [create, state] = useCreateGroupMutation();
  const [name, setName] = useState("");
  const [picked, setPicked] = useState<Set<number>>(new Set());
  const people = useMemo(() => Object.values(users ?? {}).filter((u) => u.id !== meId).sort(byName), [users, meId]);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const res = await create({ name: name.trim(), memberIds: [...picked] });
    if ("data" in res && res.data) onOpen(res.data.id);
  }
  return (
    <form onSubmit={submit} style={{ display: "flex", flexDirection: "column", gap: 12 }}>
      <label className={form.field}>
        Group name
        <input value={name} onChange={(e) => setName(e.target.value)} maxLength={64} required />
      </label>
      <fieldset style={{ border: 0, padding: 0, margin: 0 }}>
        <legend className={form.field}>Members</legend>
        {people.length === 0 ? <p className={form.muted}>Nobody else has an account yet.</p> : null}
        <ul className={form.list}>
          {people.map((u) => (
            <li key={u.id}>
              <label className={form.check}>
                <input
                  type="checkbox"
                  checked={picked.has(u.id)}
                  onChange={(e) => {
                    const next = new Set(picked);
                    if (e.target.checked) next.add(u.id);
                    else next.delete(u.id);
                    setPicked(next);
                  }}
                />
                {userName(u)}
              </label>
            </li>
          ))}
        </ul>
      </fieldset>
      {state.error ? <p role="alert" className={form.error}>{errorText(state.error)}</p> : null}
      <div className={form.row}>
        <button type="button" className={form.secondary} onClick={onCancel}>Cancel</button>
        <button type="submit" className={form.primary} disabled={state.isLoading}>Create group</button>
      </div>
    </form>
  );
}

export function GroupSettingsDialog({ chat, open, onClose }: { chat: Chat; open: boolean; onClose: () => void }) {
  return (
    <Dialog title="Group settings" open={open} onClose={onClose}>
      <GroupSettings chat={chat} />
    </Dialog>
  );
}

function GroupSettings({ chat }: { chat: Chat }) {
  const { data: detail } = useGetChatDetailQuery({ id: chat.id, type: "group" });
  const { data: users } = useGetUsersQuery();
  const [update, state] = useUpdateGroupMutation();
  const [name, setName] = useState(chat.name);
  const [adding, setAdding] = useState("");
  const canManage = chat.myRole === "owner" || chat.myRole === "admin";
  const members = detail?.members ?? [];
  const outside = Object.values(users ?? {}).filter((u) => !members.some((m) => m.id === u.id)).sort(byName);
  return (
    <>
      {canManage ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void update({ id: chat.id, name: name.trim() });
          }}
          style={{ display: "flex", gap: 8, alignItems: "flex-end" }}
        >
          <label className={form.field} style={{ flex: 1 }}>
            Group name
            <input value={name} onChange={(e) => setName(e.target.value)} maxLength={64} required />
          </label>
          <button type="submit" className={form.secondary} disabled={state.isLoading || name.trim() === chat.name}>Rename</button>
        </form>
      ) : null}
      <ul className={form.list} aria-label="Members">
        {members.map((m) => (
          <li key={m.id}>
            <span>{userName(m)}</span>
            {m.memberRole && m.memberRole !== "member" ? <span className={form.muted}>{m.memberRole}</span> : null}
            {canManage && m.memberRole !== "owner" ? (
              <button type="button" className={form.danger} aria-label={`Remove ${userName(m)}`} onClick={() => void update({ id: chat.id, removeMemberIds: [m.id] })}>
                Remove
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      {canManage && outside.length > 0 ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (adding) void update({ id: chat.id, addMemberIds: [Number(adding)] }).then(() => setAdding(""));
          }}
          style={{ display: "flex", gap: 8, alignItems: "flex-end" }}
        >
          <label className={form.field} style={{ flex: 1 }}>
            Add member
            <select value={adding} onChange={(e) => setAdding(e.target.value)}>
              <option value="">Choose a person…</option>
              {outside.map((u) => (
                <option key={u.id} value={u.id}>{userName(u)}</option>
              ))}
            </select>
          </label>
          <button type="submit" className={form.primary} disabled={!adding || state.isLoading}>Add</button>
        </form>
      ) : null}
      {state.error ? <p role="alert" className={form.error}>{errorText(state.error)}</p> : null}
    </>
  );
}

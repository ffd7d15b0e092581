"use client";
// ChatApp.tsx - /chat: the sidebar (me with Profile, theme and Log out; Search over chats and
// messages; `Chats` with `Channels` and `New group`; `Online users`) and the open conversation
// (?c=<chatId>) with its header (presence of the other person, a group's settings, a channel's
// topic and Leave). Data comes only from RTK Query hooks; the socket is never touched here.
import { useEffect, useMemo, useState } from "react";
import dynamic from "next/dynamic";
import { useRouter, useSearchParams } from "next/navigation";
import { useAppDispatch, useAppSelector } from "@/lib/hooks";
import { colorOf, initials } from "@/lib/color";
import type { Chat, User } from "@/lib/types";
import { selectMe, selectSignedIn } from "@/features/auth/authSlice";
import { useLogoutMutation } from "@/features/auth/authApi";
import { useGetConnectionQuery } from "@/features/connection/connectionApi";
import { displayName, useGetUsersQuery, userName, useSetPresenceMutation, type UsersById } from "@/features/users/usersApi";
import { useSearchMessagesQuery } from "@/features/messages/messagesApi";
import ProfileDialog from "@/features/profile/ProfileDialog";
import ThemeToggle from "@/features/theme/ThemeToggle";
import StaffNav from "@/features/desk/StaffNav"; // staff only: Chat / Desk / Admin
import { chatOpened } from "./openChatSlice";
import { chatTitle, peerOf, useGetChatsQuery, useLeaveChannelMutation, useOpenPrivateMutation } from "./chatsApi";
import ChannelsDialog from "./ChannelsDialog";
import { GroupSettingsDialog, NewGroupDialog } from "./GroupDialog";
import styles from "./ChatApp.module.css";

// the conversation (virtual list, composer) is its own chunk, fetched when a chat is opened
const Conversation = dynamic(() => import("@/features/messages/Conversation"), {
  ssr: false,
  loading: () => <p className={styles.empty}>Loading messages…</p>,
});

type DialogName = "profile" | "channels" | "group" | "settings" | null;

export default function ChatApp() {
  const signedIn = useAppSelector(selectSignedIn);
  const router = useRouter();
  useEffect(() => {
    if (!signedIn) router.replace("/login");
  }, [signedIn, router]);
  return signedIn ? <Signed /> : null;
}

function statusText(u: User | undefined): string {
  if (!u) return "";
  if (u.status === "online") return "Online";
  if (u.status === "away") return "Away";
  if (u.lastSeenAt) return `Last seen ${new Date(u.lastSeenAt).toLocaleString([], { dateStyle: "medium", timeStyle: "short" })}`;
  return "Offline";
}

/** Away while the page is hidden (another tab, minimised), online when it is seen again; sent
 * again after each (re)connect, since a new session starts online. */
function useAwayWhileHidden(connected: boolean) {
  const [setPresence] = useSetPresenceMutation();
  useEffect(() => {
    if (!connected) return;
    const apply = () => void setPresence(document.hidden ? "away" : "online");
    if (document.hidden) apply();
    document.addEventListener("visibilitychange", apply);
    return () => document.removeEventListener("visibilitychange", apply);
  }, [connected, setPresence]);
}

function Avatar({ user, name, size = 32 }: { user: User | undefined | null; name: string; size?: number }) {
  return (
    <span className={styles.avatar} style={{ background: colorOf(user), width: size, height: size }} aria-hidden="true">
      {initials(name)}
    </span>
  );
}

function Signed() {
  const me = useAppSelector(selectMe);
  const dispatch = useAppDispatch();
  const params = useSearchParams();
  const router = useRouter();
  const chatId = Number(params.get("c")) || null;
  const conn = useGetConnectionQuery();
  const { data: chats, isLoading } = useGetChatsQuery();
  const { data: users } = useGetUsersQuery();
  const [logout] = useLogoutMutation();
  const [openPrivate] = useOpenPrivateMutation();
  const [search, setSearch] = useState("");
  const [dialog, setDialog] = useState<DialogName>(null);
  useEffect(() => void dispatch(chatOpened(chatId)), [chatId, dispatch]);
  useAwayWhileHidden(conn.data?.state === "connected");
  const nameOf = (id: number) => displayName(users, id);
  const open = (id: number) => router.push(`/chat?c=${id}`);
  const online = useMemo(
    () => Object.values(users ?? {}).filter((u) => u.id !== me?.id && u.status !== "offline"),
    [users, me],
  );
  const q = search.trim().toLowerCase();
  const shown = (chats ?? []).filter((c) => chatTitle(c, nameOf, me?.id).toLowerCase().includes(q));
  const current = chats?.find((c) => c.id === chatId);
  const reconnecting = conn.data?.state === "reconnecting";
  const myName = me ? userName(me) : "";
  return (
    <div className={styles.app} data-open={current ? "chat" : "list"}>
      {reconnecting ? <div role="status" className={styles.banner}>Connection lost — reconnecting…</div> : null}
      <aside className={styles.side}>
        <div className={styles.me}>
          <Avatar user={me} name={myName} size={36} />
          <div className={styles.meText}>
            <strong>{myName}</strong>
            <span className={styles.meStatus}>
              <span className={styles.dot} data-status={reconnecting ? "offline" : (users?.[me?.id ?? 0]?.status ?? "online")} />
              {reconnecting ? "Reconnecting" : statusText(users?.[me?.id ?? 0]) || "Online"}
            </span>
          </div>
        </div>
        <div className={styles.tools}>
          <button onClick={() => setDialog("profile")}>Profile</button>
          <ThemeToggle />
          <button onClick={() => void logout()}>Log out</button>
        </div>
        <StaffNav />
        <label className={styles.search}>
          <span className="sr-only">Search</span>
          <input type="search" placeholder="Search chats and messages" aria-label="Search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        {q.length >= 2 ? <SearchResults q={q} chats={chats ?? []} users={users} meId={me?.id} onOpen={(id) => { setSearch(""); open(id); }} /> : null}
        <div className={styles.sectionHead}>
          <h2 id="chats-h">Chats</h2>
          <button onClick={() => setDialog("channels")}>Channels</button>
          <button onClick={() => setDialog("group")}>New group</button>
        </div>
        {isLoading ? (
          <div className={styles.skeleton} aria-label="Loading chats" role="progressbar"><span /><span /><span /></div>
        ) : null}
        {chats && chats.length === 0 ? <p className={styles.muted}>No chats yet — click someone online, join a channel or start a group.</p> : null}
        {chats && chats.length > 0 && shown.length === 0 ? <p className={styles.muted}>No chat matches “{search.trim()}”.</p> : null}
        <ul aria-labelledby="chats-h" className={styles.list}>
          {shown.map((c) => (
            <li key={c.id}>
              <button className={c.id === chatId ? styles.active : undefined} aria-current={c.id === chatId ? "page" : undefined} onClick={() => open(c.id)}>
                <ChatIcon chat={c} users={users} meId={me?.id} />
                <span className={styles.chatName} data-unread={c.unread ? true : undefined}>{chatTitle(c, nameOf, me?.id)}</span>
                {c.unread ? <span className={styles.badge} aria-label={`${c.unread} unread`}>{c.unread}</span> : null}
              </button>
            </li>
          ))}
        </ul>
        <div className={styles.sectionHead}>
          <h2 id="online-h">Online users</h2>
        </div>
        {users && online.length === 0 ? <p className={styles.muted}>Nobody else is online right now.</p> : null}
        <ul aria-labelledby="online-h" className={styles.list}>
          {online.map((u) => (
            <li key={u.id}>
              <button
                onClick={async () => {
                  const res = await openPrivate(u.id);
                  if ("data" in res && res.data) open(res.data.id);
                }}
              >
                <span className={styles.dot} data-status={u.status} aria-label={u.status} />
                <span className={styles.person} style={{ "--name": colorOf(u) } as React.CSSProperties}>{userName(u)}</span>
              </button>
            </li>
          ))}
        </ul>
      </aside>
      <main className={styles.main}>
        {current ? (
          <>
            <ChatHeader chat={current} users={users} meId={me?.id} onBack={() => router.push("/chat")} onSettings={() => setDialog("settings")} onLeft={() => router.push("/chat")} />
            <Conversation key={current.id} chat={current} />
          </>
        ) : chatId && chats ? (
          <p className={styles.empty}>This chat is not in your list — it may have been deleted, or you left it.</p>
        ) : (
          <div className={styles.empty}>
            <h2>Welcome{myName ? `, ${myName}` : ""}</h2>
            <p>Choose a chat on the left, click someone online to talk 1:1, or open <em>Channels</em> to join a conversation.</p>
          </div>
        )}
      </main>
      {me ? <ProfileDialog me={me} open={dialog === "profile"} onClose={() => setDialog(null)} /> : null}
      <ChannelsDialog open={dialog === "channels"} onClose={() => setDialog(null)} onOpen={open} />
      {me ? <NewGroupDialog meId={me.id} open={dialog === "group"} onClose={() => setDialog(null)} onOpen={open} /> : null}
      {current && current.type === "group" ? <GroupSettingsDialog key={current.id} chat={current} open={dialog === "settings"} onClose={() => setDialog(null)} /> : null}
    </div>
  );
}

function ChatIcon({ chat, users, meId }: { chat: Chat; users: UsersById | undefined; meId?: number }) {
  if (chat.type === "public") return <span className={styles.icon} aria-hidden="true">#</span>;
  if (chat.type === "group") return <span className={styles.icon} aria-hidden="true">⁂</span>;
  const peer = users?.[peerOf(chat, meId) ?? 0];
  return <span className={styles.dot} data-status={peer?.status ?? "offline"} aria-hidden="true" />;
}

function ChatHeader({ chat, users, meId, onBack, onSettings, onLeft }: { chat: Chat; users: UsersById | undefined; meId?: number; onBack: () => void; onSettings: () => void; onLeft: () => void }) {
  const [leave, leaveState] = useLeaveChannelMutation();
  const nameOf = (id: number) => displayName(users, id);
  const peer = users?.[peerOf(chat, meId) ?? 0];
  const sub =
    chat.type === "private"
      ? statusText(peer)
      : [chat.topic, `${chat.memberCount} ${chat.memberCount === 1 ? "member" : "members"}`].filter(Boolean).join(" · ");
  return (
    <header className={styles.header}>
      <button className={styles.back} onClick={onBack}>Back</button>
      <div className={styles.title}>
        <h1>{chatTitle(chat, nameOf, meId)}</h1>
        {sub ? <p>{sub}</p> : null}
      </div>
      {chat.type === "group" ? <button className={styles.headerButton} onClick={onSettings}>Group settings</button> : null}
      {chat.type === "public" ? (
        <button
          className={styles.headerButton}
          disabled={leaveState.isLoading}
          onClick={async () => {
            const res = await leave(chat.id);
            if ("data" in res) onLeft();
          }}
        >
          Leave channel
        </button>
      ) : null}
    </header>
  );
}

function SearchResults({ q, chats, users, meId, onOpen }: { q: string; chats: Chat[]; users: UsersById | undefined; meId?: number; onOpen: (chatId: number) => void }) {
  const [debounced, setDebounced] = useState(q);
  useEffect(() => {
    const t = setTimeout(() => setDebounced(q), 250);
    return () => clearTimeout(t);
  }, [q]);
  const { data, isFetching, error } = useSearchMessagesQuery(debounced);
  const nameOf = (id: number) => displayName(users, id);
  return (
    <section className={styles.results} aria-labelledby="results-h">
      <h2 id="results-h">Messages</h2>
      {isFetching && !data ? <p className={styles.muted}>Searching…</p> : null}
      {error ? <p className={styles.muted}>Search is not available right now.</p> : null}
      {data && data.length === 0 ? <p className={styles.muted}>No message matches.</p> : null}
      <ul className={styles.list} aria-label="Search results">
        {(data ?? []).map((m) => {
          const chat = chats.find((c) => c.id === m.chatId);
          return (
            <li key={m.id}>
              <button onClick={() => onOpen(m.chatId)} className={styles.result}>
                <span className={styles.resultWhere}>{nameOf(m.authorId)}{chat ? ` in ${chatTitle(chat, nameOf, meId)}` : ""}</span>
                <span className={styles.resultBody}>{m.body}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

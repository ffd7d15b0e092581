"use client";
// ChatApp.tsx - /chat: the sidebar (me, Search, `Chats`, `Online users`, `New group`) and the open
// conversation (?c=<chatId>). Data comes only from RTK Query hooks; the socket is never touched here.
import { useEffect, useMemo, useState } from "react";
import { useRouter, useSearchParams } from "next/navigation";
import { useAppDispatch, useAppSelector } from "@/lib/hooks";
import { selectMe, selectSignedIn } from "@/features/auth/authSlice";
import { useLogoutMutation } from "@/features/auth/authApi";
import { useGetConnectionQuery } from "@/features/connection/connectionApi";
import { displayName, useGetUsersQuery } from "@/features/users/usersApi";
import dynamic from "next/dynamic";
import { chatOpened } from "./openChatSlice";
import { chatTitle, useCreateGroupMutation, useGetChatsQuery, useOpenPrivateMutation } from "./chatsApi";
import ThemeToggle from "@/features/theme/ThemeToggle";
import styles from "./ChatApp.module.css";

// the conversation (virtual list, composer) is its own chunk, fetched when a chat is opened
const Conversation = dynamic(() => import("@/features/messages/Conversation"), {
  ssr: false,
  loading: () => <p className={styles.empty}>Loading messages…</p>,
});

export default function ChatApp() {
  const signedIn = useAppSelector(selectSignedIn);
  const router = useRouter();
  useEffect(() => {
    if (!signedIn) router.replace("/login");
  }, [signedIn, router]);
  return signedIn ? <Signed /> : null;
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
  const [createGroup] = useCreateGroupMutation();
  const [search, setSearch] = useState("");
  useEffect(() => void dispatch(chatOpened(chatId)), [chatId, dispatch]);
  const nameOf = (id: number) => displayName(users, id);
  const open = (id: number) => router.push(`/chat?c=${id}`);
  const online = useMemo(
    () => Object.values(users ?? {}).filter((u) => u.id !== me?.id && u.status !== "offline"),
    [users, me],
  );
  const shown = (chats ?? []).filter((c) => chatTitle(c, nameOf, me?.id).toLowerCase().includes(search.toLowerCase()));
  const current = chats?.find((c) => c.id === chatId);
  const reconnecting = conn.data?.state === "reconnecting";
  return (
    <div className={styles.app} data-open={current ? "chat" : "list"}>
      {reconnecting ? <div role="status" className={styles.banner}>Connection lost — reconnecting…</div> : null}
      <aside className={styles.side}>
        <div className={styles.me}>
          <span className={styles.avatar} style={{ background: me?.nameColor || "var(--accent)" }}>
            {(me?.displayName || me?.username || "?").slice(0, 2).toUpperCase()}
          </span>
          <span>{me?.displayName || me?.username}</span>
          <ThemeToggle />
          <button onClick={() => void logout()}>Log out</button>
        </div>
        <label className={styles.search}>
          <span className="sr-only">Search</span>
          <input placeholder="Search" aria-label="Search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        <h2 id="chats-h">Chats</h2>
        {isLoading ? <p className={styles.muted}>Loading…</p> : null}
        {chats && chats.length === 0 ? <p className={styles.muted}>No chats yet — click someone online to start one.</p> : null}
        <ul aria-labelledby="chats-h" className={styles.list}>
          {shown.map((c) => (
            <li key={c.id}>
              <button className={c.id === chatId ? styles.active : undefined} aria-current={c.id === chatId} onClick={() => open(c.id)}>
                {chatTitle(c, nameOf, me?.id)}
                {c.unread ? <span className={styles.badge} aria-label={`${c.unread} unread`}>{c.unread}</span> : null}
              </button>
            </li>
          ))}
        </ul>
        <button
          onClick={async () => {
            const name = prompt("Group name");
            if (!name) return;
            const res = await createGroup({ name, memberIds: online.map((u) => u.id) });
            if ("data" in res && res.data) open(res.data.id);
          }}
        >
          New group
        </button>
        <h2 id="online-h">Online users</h2>
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
                <span style={{ color: u.nameColor }}>{u.displayName || u.username}</span>
              </button>
            </li>
          ))}
        </ul>
      </aside>
      <main className={styles.main}>
        {current ? (
          <>
            <header className={styles.header}>
              <button className={styles.back} onClick={() => router.push("/chat")}>Back</button>
              <h1>{chatTitle(current, nameOf, me?.id)}</h1>
            </header>
            <Conversation chat={current} />
          </>
        ) : (
          <p className={styles.empty}>Choose a chat on the left, or click someone online.</p>
        )}
      </main>
    </div>
  );
}

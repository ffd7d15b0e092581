"use client";
// DeskApp.tsx - /desk, the attendant's inbox (docs/desk.md): the `Queue` (open, unassigned; Take)
// and `My services` (admins also `Other attendants' services`) on the left, the selected service
// in the middle (its `Messages` both ways, Take / Transfer / Finish, the composer with pending and
// failed answers), the customer on the right. Live from /desk through deskApi; the title shows
// "(N) Desk" and a short beep sounds when a customer writes while the tab is hidden or another
// service is shown. On a phone the list and the conversation are two screens with Back.
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { useRouter, useSearchParams } from "next/navigation";
import { useAppDispatch, useAppSelector } from "@/lib/hooks";
import { errorText } from "@/lib/api";
import type { DeskUser, Service } from "@/lib/types";
import { selectMe, selectSignedIn } from "@/features/auth/authSlice";
import { useLogoutMutation } from "@/features/auth/authApi";
import ThemeToggle from "@/features/theme/ThemeToggle";
import Dialog from "@/components/Dialog";
import form from "@/components/form.module.css";
import {
  flushDeskOutbox,
  sendDeskAnswer,
  useAssignMutation,
  useDeskMarkReadMutation,
  useFinishMutation,
  useGetAttendantsQuery,
  useGetCustomerTypingQuery,
  useGetDeskConnectionQuery,
  useGetInboxQuery,
  useGetServiceQuery,
  useSetDeskTypingMutation,
  useTakeMutation,
} from "./deskApi";
import { deskDelivered, deskRetried, pageShown, selectDesk, serviceSelected } from "./deskSlice";
import { clock, duration, splitInbox, titleWithBadge, totalUnread } from "./logic";
import MessageList from "./MessageList";
import ContactLinks from "./ContactLinks";
import WhatsAppWindow from "./WhatsAppWindow";
import CallButton from "./CallButton";
import StaffNav from "./StaffNav";
import { isStaff } from "./roles";
import { beep } from "./beep";
import { serverNow } from "@/lib/clock";
import styles from "./Desk.module.css";

const TITLE = "Desk — sioc";

export default function DeskApp() {
  const signedIn = useAppSelector(selectSignedIn);
  const me = useAppSelector(selectMe);
  const router = useRouter();
  useEffect(() => {
    if (!signedIn) router.replace("/login");
  }, [signedIn, router]);
  if (!signedIn) return null;
  if (!isStaff(me)) {
    return (
      <main className={styles.notice}>
        <h1>The desk is for staff</h1>
        <p>Your account is a chat account. Ask an admin for an attendant account.</p>
        <a href="/chat">Back to the chat</a>
      </main>
    );
  }
  return <Inbox />;
}

function byId(list: DeskUser[] | undefined): Record<number, DeskUser> {
  const o: Record<number, DeskUser> = {};
  for (const u of list ?? []) o[u.id] = u;
  return o;
}

/** Re-renders every 30 s so that waiting times move on. */
function useNow(every = 30000) {
  const [now, setNow] = useState(() => serverNow());
  useEffect(() => {
    const t = setInterval(() => setNow(serverNow()), every);
    return () => clearInterval(t);
  }, [every]);
  return now;
}

function Inbox() {
  const me = useAppSelector(selectMe)!;
  const dispatch = useAppDispatch();
  const params = useSearchParams();
  const router = useRouter();
  const selected = Number(params.get("s")) || null;
  const conn = useGetDeskConnectionQuery();
  const inbox = useGetInboxQuery();
  const { data: attendants } = useGetAttendantsQuery();
  const staff = useMemo(() => byId(attendants), [attendants]);
  const { unread } = useAppSelector(selectDesk);
  const [logout] = useLogoutMutation();
  const now = useNow();
  useEffect(() => {
    dispatch(serviceSelected({ id: selected, hidden: document.hidden }));
  }, [selected, dispatch]);
  useEffect(() => {
    const shown = () => {
      if (!document.hidden) dispatch(pageShown());
    };
    document.addEventListener("visibilitychange", shown);
    return () => document.removeEventListener("visibilitychange", shown);
  }, [dispatch]);
  const total = totalUnread(unread);
  const last = useRef(total);
  useEffect(() => {
    document.title = titleWithBadge(TITLE, total);
    if (total > last.current) beep();
    last.current = total;
  }, [total]);
  useEffect(() => () => void (document.title = TITLE), []);
  const parts = useMemo(() => splitInbox(inbox.data ?? [], me.id), [inbox.data, me.id]);
  const open = (id: number | null) => router.push(id ? `/desk?s=${id}` : "/desk");
  const reconnecting = conn.data?.state === "reconnecting";
  return (
    <div className={styles.app} data-open={selected ? "service" : "list"}>
      {reconnecting ? <div role="status" className={styles.banner}>Connection lost — reconnecting…</div> : null}
      <aside className={styles.side}>
        <div className={styles.brandRow}>
          <strong className={styles.brand}>sioc<span>desk</span></strong>
          <StaffNav />
        </div>
        <div className={styles.meRow}>
          <span className={styles.meName}>{me.displayName || me.username}</span>
          <span className={styles.role}>{me.role === "admin" ? "Admin" : "Attendant"}</span>
        </div>
        <div className={styles.tools}>
          <ThemeToggle />
          <button onClick={() => void logout()}>Log out</button>
        </div>
        {inbox.error ? <p role="alert" className={form.error}>{errorText(inbox.error)}</p> : null}
        <ServiceSection title="Queue" id="queue" list={parts.queue} loading={inbox.isLoading} empty="The queue is empty. New customer conversations appear here." selected={selected} unread={unread} staff={staff} now={now} onOpen={open} queue />
        <ServiceSection title="My services" id="mine" list={parts.mine} loading={inbox.isLoading} empty="You hold no service. Take one from the queue." selected={selected} unread={unread} staff={staff} now={now} onOpen={open} />
        {me.role === "admin" ? (
          <ServiceSection title="Other attendants' services" id="others" list={parts.others} loading={inbox.isLoading} empty="No other attendant holds a service." selected={selected} unread={unread} staff={staff} now={now} onOpen={open} />
        ) : null}
      </aside>
      <main className={styles.main}>
        {selected ? (
          <ServicePane key={selected} id={selected} meId={me.id} admin={me.role === "admin"} staff={staff} attendants={attendants ?? []} onBack={() => open(null)} />
        ) : (
          <div className={styles.empty}>
            <h2>Pick a conversation</h2>
            <p>Take a customer from the <strong>Queue</strong>, or open one of <strong>My services</strong>.</p>
          </div>
        )}
      </main>
    </div>
  );
}

function ServiceSection(props: {
  title: string;
  id: string;
  list: Service[];
  loading: boolean;
  empty: string;
  selected: number | null;
  unread: Record<number, number>;
  staff: Record<number, DeskUser>;
  now: number;
  onOpen: (id: number) => void;
  queue?: boolean;
}) {
  const { title, id, list, loading, empty, selected, unread, staff, now, onOpen, queue } = props;
  const preview = useAppSelector(selectDesk).preview;
  const [take, takeState] = useTakeMutation();
  return (
    <section aria-labelledby={`${id}-h`} className={styles.section}>
      <h2 id={`${id}-h`} className={styles.sectionHead}>
        {title} <span className={styles.count}>{list.length}</span>
      </h2>
      {loading ? (
        <div className={styles.skeleton} role="progressbar" aria-label={`Loading ${title}`}>
          <span /> <span /> <span />
        </div>
      ) : null}
      {!loading && list.length === 0 ? <p className={styles.muted}>{empty}</p> : null}
      {queue && takeState.error ? <p role="alert" className={form.error}>{takeError(takeState.error)}</p> : null}
      <ul className={styles.services} aria-label={title}>
        {list.map((s) => {
          const n = unread[s.id] ?? 0;
          const p = preview[s.id] ?? s.lastMessage;
          return (
            <li key={s.id} className={styles.serviceItem} data-active={s.id === selected || undefined}>
              <button className={styles.serviceButton} onClick={() => onOpen(s.id)} aria-current={s.id === selected ? "true" : undefined}>
                <span className={styles.serviceTop}>
                  <ChannelIcon channel={s.channel} />
                  <span className={styles.customer} id={`svc-${id}-${s.id}`}>{s.customer.name || "Visitor"}</span>
                  {n > 0 ? <span className={styles.badge} aria-label={`${n} unread`}>{n}</span> : null}
                </span>
                <span className={styles.preview}>{p ? `${p.direction === "out" ? "You: " : ""}${p.body}` : s.customer.email || `Service #${s.id}`}</span>
                <span className={styles.waiting}>
                  {queue ? `Waiting ${duration(now - s.createdAt)}` : s.attendantId && staff[s.attendantId] && id === "others" ? staff[s.attendantId]!.displayName : `Last activity ${clock(s.lastActivityAt, now)}`}
                </span>
              </button>
              {queue ? (
                <button
                  className={styles.take}
                  disabled={takeState.isLoading}
                  aria-describedby={`svc-${id}-${s.id}`}
                  onClick={async () => {
                    const r = await take(s.id);
                    if ("data" in r) onOpen(s.id);
                  }}
                >
                  Take
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function takeError(e: unknown): string {
  const code = (e as { data?: { error?: { code?: string } } })?.data?.error?.code;
  if (code === "already_assigned") return "Another attendant took it first.";
  return errorText(e);
}

function ChannelIcon({ channel }: { channel: string }) {
  const label = channel === "whatsapp" ? "WhatsApp" : channel === "widget" ? "Web chat" : channel;
  return (
    <span className={styles.channel} data-channel={channel} title={label} aria-label={label} role="img">
      {channel === "whatsapp" ? "WA" : "Web"}
    </span>
  );
}

function ServicePane({ id, meId, admin, staff, attendants, onBack }: { id: number; meId: number; admin: boolean; staff: Record<number, DeskUser>; attendants: DeskUser[]; onBack: () => void }) {
  const dispatch = useAppDispatch();
  const { data, error, isLoading } = useGetServiceQuery(id);
  const { data: typing } = useGetCustomerTypingQuery(id);
  const outbox = useAppSelector(selectDesk).outbox;
  const [take, takeState] = useTakeMutation();
  const [finish, finishState] = useFinishMutation();
  const [markRead] = useDeskMarkReadMutation();
  const [dialog, setDialog] = useState<"finish" | "transfer" | null>(null);
  const s = data?.service;
  const pending = useMemo(() => {
    const have = new Set((data?.messages ?? []).map((m) => m.clientMsgId));
    return outbox.filter((o) => o.serviceId === id && !have.has(o.clientMsgId));
  }, [outbox, data, id]);
  const lastIn = useMemo(() => [...(data?.messages ?? [])].reverse().find((m) => m.direction === "in"), [data]);
  const readUpTo = useRef(0);
  useEffect(() => {
    if (!lastIn || lastIn.state === "read" || lastIn.seq <= readUpTo.current) return;
    if (document.hidden) return;
    readUpTo.current = lastIn.seq;
    void markRead({ serviceId: id, seq: lastIn.seq });
  }, [lastIn, id, markRead]);
  if (isLoading) {
    return (
      <div className={styles.skeletonPane} role="progressbar" aria-label="Loading the conversation">
        <span style={{ width: "40%" }} /> <span style={{ width: "70%" }} /> <span style={{ width: "55%" }} />
      </div>
    );
  }
  if (error || !s || !data) {
    return (
      <div className={styles.empty}>
        <button className={styles.back} onClick={onBack}>Back</button>
        <h2>Cannot open this service</h2>
        <p role="alert">{errorText(error, "It is not yours any more, or it does not exist.")}</p>
      </div>
    );
  }
  const mine = s.attendantId === meId;
  const canAnswer = s.status === "open" && (mine || admin);
  const holder = s.attendantId ? (staff[s.attendantId]?.displayName ?? `#${s.attendantId}`) : null;
  return (
    <div className={styles.pane}>
      <header className={styles.header}>
        <button className={styles.back} onClick={onBack}>Back</button>
        <div className={styles.title}>
          <h1>{s.customer.name || "Visitor"}</h1>
          <p>
            {s.status === "finished" ? `Finished ${s.finishReason === "idle" ? "(idle)" : ""}` : holder ? `Assigned to ${holder}` : "In the queue"} · #{s.id}
          </p>
        </div>
        <ContactLinks service={s} />
        {s.status === "open" && s.attendantId === null ? (
          <button className={form.primary} disabled={takeState.isLoading} onClick={() => void take(s.id)}>Take</button>
        ) : null}
        {s.status === "open" && (mine || admin) ? (
          <>
            <button className={form.secondary} onClick={() => setDialog("transfer")}>Transfer</button>
            <button className={form.secondary} onClick={() => setDialog("finish")}>Finish</button>
          </>
        ) : null}
        <CallButton service={s} meId={meId} />
      </header>
      {takeState.error ? <p role="alert" className={styles.paneError}>{takeError(takeState.error)}</p> : null}
      <div className={styles.body}>
        <div className={styles.conversation}>
          <MessageList
            channel={s.channel}
            messages={data.messages}
            staff={staff}
            customerName={s.customer.name || "Visitor"}
            pending={pending}
            onRetry={(c) => {
              dispatch(deskRetried(c));
              void dispatch(flushDeskOutbox());
            }}
            onDiscard={(c) => dispatch(deskDelivered(c))}
          />
          <p className={styles.typing} aria-live="polite">{typing?.typing ? `${s.customer.name || "The customer"} is typing…` : ""}</p>
          {canAnswer ? (
            <WhatsAppWindow service={s}>
              <Composer serviceId={s.id} />
            </WhatsAppWindow>
          ) : (
            <p className={styles.closed}>
              {s.status === "finished"
                ? s.rating
                  ? `Finished · rated ${s.rating} of 5${s.ratingComment ? `: “${s.ratingComment}”` : ""}`
                  : "Finished · waiting for the customer's rating"
                : "Take this service to answer."}
            </p>
          )}
        </div>
        <CustomerPanel service={s} holder={holder} />
      </div>
      <Dialog title="Finish this service?" open={dialog === "finish"} onClose={() => setDialog(null)}>
        <p className={form.muted}>The customer is asked to rate the conversation. A new message from them opens a new service.</p>
        {finishState.error ? <p role="alert" className={form.error}>{errorText(finishState.error)}</p> : null}
        <div className={form.row}>
          <button className={form.secondary} onClick={() => setDialog(null)}>Cancel</button>
          <button
            className={form.primary}
            disabled={finishState.isLoading}
            onClick={async () => {
              const r = await finish(s.id);
              if ("data" in r) setDialog(null);
            }}
          >
            Finish
          </button>
        </div>
      </Dialog>
      {dialog === "transfer" ? <TransferDialog service={s} attendants={attendants} onClose={() => setDialog(null)} /> : null}
    </div>
  );
}

function TransferDialog({ service, attendants, onClose }: { service: Service; attendants: DeskUser[]; onClose: () => void }) {
  const [assign, state] = useAssignMutation();
  const choices = attendants.filter((a) => a.id !== service.attendantId);
  const [to, setTo] = useState<number>(choices[0]?.id ?? 0);
  return (
    <Dialog title="Transfer to another attendant" open onClose={onClose}>
      {choices.length === 0 ? <p className={form.muted}>There is no other active attendant.</p> : null}
      <label className={form.field}>
        Attendant
        <select value={to} onChange={(e) => setTo(Number(e.target.value))}>
          {choices.map((a) => (
            <option key={a.id} value={a.id}>
              {a.displayName} ({a.username}{a.role === "admin" ? ", admin" : ""})
            </option>
          ))}
        </select>
      </label>
      {state.error ? <p role="alert" className={form.error}>{errorText(state.error)}</p> : null}
      <div className={form.row}>
        <button className={form.secondary} onClick={onClose}>Cancel</button>
        <button
          className={form.primary}
          disabled={!to || state.isLoading}
          onClick={async () => {
            const r = await assign({ id: service.id, attendantId: to });
            if ("data" in r) onClose();
          }}
        >
          Transfer
        </button>
      </div>
    </Dialog>
  );
}

function CustomerPanel({ service: s, holder }: { service: Service; holder: string | null }) {
  return (
    <aside className={styles.customerPanel} aria-label="Customer">
      <h2>Customer</h2>
      <dl>
        <dt>Name</dt>
        <dd>{s.customer.name || "Visitor (no name)"}</dd>
        <dt>E-mail</dt>
        <dd>{s.customer.email || "—"}</dd>
        {s.customer.phone ? (
          <>
            <dt>Phone</dt>
            <dd>{s.customer.phone}</dd>
          </>
        ) : null}
        <dt>Channel</dt>
        <dd>{s.channel === "widget" ? "Web chat" : s.channel === "whatsapp" ? "WhatsApp" : s.channel}</dd>
        <dt>Opened</dt>
        <dd>{clock(s.createdAt)}</dd>
        <dt>Attendant</dt>
        <dd>{holder ?? "—"}</dd>
        <dt>First response</dt>
        <dd>{s.firstResponseAt ? duration(s.firstResponseAt - s.createdAt) : "—"}</dd>
        {s.status === "finished" ? (
          <>
            <dt>Resolution</dt>
            <dd>{duration(s.resolutionMs)}</dd>
            <dt>Rating</dt>
            <dd>{s.rating ? `${"★".repeat(s.rating)}${"☆".repeat(5 - s.rating)} (${s.rating})` : "—"}</dd>
          </>
        ) : null}
      </dl>
    </aside>
  );
}

const TYPING_IDLE_MS = 3000;

function Composer({ serviceId }: { serviceId: number }) {
  const dispatch = useAppDispatch();
  const [text, setText] = useState("");
  const [setTyping] = useSetDeskTypingMutation();
  const t = useRef<{ on: boolean; timer: ReturnType<typeof setTimeout> | null }>({ on: false, timer: null });
  function stop() {
    if (t.current.timer) clearTimeout(t.current.timer);
    t.current.timer = null;
    if (t.current.on) void setTyping({ serviceId, typing: false });
    t.current.on = false;
  }
  useEffect(() => stop, [serviceId]); // eslint-disable-line react-hooks/exhaustive-deps
  function changed(v: string) {
    setText(v);
    if (!t.current.on && v.trim()) {
      t.current.on = true;
      void setTyping({ serviceId, typing: true });
    }
    if (t.current.timer) clearTimeout(t.current.timer);
    t.current.timer = setTimeout(stop, TYPING_IDLE_MS);
  }
  function send() {
    const body = text.trim();
    if (!body) return;
    dispatch(sendDeskAnswer(serviceId, body));
    setText("");
    stop();
  }
  function onKey(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      send();
    }
  }
  return (
    <form className={styles.composer} onSubmit={(e) => { e.preventDefault(); send(); }}>
      <textarea aria-label="Message" placeholder="Write an answer (Enter sends, Shift+Enter new line)" rows={1} value={text} onChange={(e) => changed(e.target.value)} onKeyDown={onKey} />
      <button type="submit" className={form.primary}>Send</button>
    </form>
  );
}

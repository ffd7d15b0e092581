"use client";
// AdminApp.tsx - /admin (admins only; attendants get an "Admins only" page, as the API answers
// 403 admin_only): tabs `Users` (create with a role, change role, deactivate / reactivate, reset
// password showing the one-time link; no delete anywhere), `Dashboard` (a period with From / To,
// the figures of /desk/stats, charts, per attendant table, Download CSV), `Services` (filters,
// cursor pages, a detail with every message and the rating) and `Channels` (outside channels).
import { useEffect, useMemo, useState, type FormEvent } from "react";
import dynamic from "next/dynamic";
import { useRouter, useSearchParams } from "next/navigation";
import { useAppSelector } from "@/lib/hooks";
import { errorText } from "@/lib/api";
import type { AuthState } from "@/features/auth/authSlice";
import type { DeskRole, DeskStats, DeskUser, StatsFigures } from "@/lib/types";
import { selectMe, selectSignedIn } from "@/features/auth/authSlice";
import { useLogoutMutation } from "@/features/auth/authApi";
import ThemeToggle from "@/features/theme/ThemeToggle";
import Dialog from "@/components/Dialog";
import form from "@/components/form.module.css";
import StaffNav from "@/features/desk/StaffNav";
import MessageList from "@/features/desk/MessageList";
import { useGetServiceQuery } from "@/features/desk/deskApi";
import { clock, dateInput, duration, periodOf } from "@/features/desk/logic";
import {
  servicesQuery,
  useCreateDeskUserMutation,
  useGetChannelsQuery,
  useGetDeskUsersQuery,
  useGetServicesQuery,
  useGetStatsQuery,
  useResetDeskPasswordMutation,
  useSetChannelEnabledMutation,
  useUpdateDeskUserMutation,
  type ServiceFilters,
} from "./adminApi";
import styles from "./Admin.module.css";

const Charts = dynamic(() => import("./Charts"), { ssr: false, loading: () => <div className={styles.chartSkeleton} role="progressbar" aria-label="Loading charts" /> });

const TABS = ["Users", "Dashboard", "Services", "Channels"] as const;
type Tab = (typeof TABS)[number];

export default function AdminApp() {
  const signedIn = useAppSelector(selectSignedIn);
  const me = useAppSelector(selectMe);
  const router = useRouter();
  useEffect(() => {
    if (!signedIn) router.replace("/login");
  }, [signedIn, router]);
  if (!signedIn) return null;
  if (me?.role !== "admin") return <AdminsOnly />;
  return <Admin />;
}

function AdminsOnly() {
  const me = useAppSelector(selectMe);
  return (
    <main className={styles.notice}>
      <h1>Admins only</h1>
      <p>This page is for the desk&apos;s admins: users, the dashboard and every service. You are signed in as {me?.username}.</p>
      <p>{me?.role === "agent" ? <a href="/desk">Go to the desk</a> : <a href="/chat">Go to the chat</a>}</p>
    </main>
  );
}

function Admin() {
  const params = useSearchParams();
  const router = useRouter();
  const tab = (TABS as readonly string[]).includes(params.get("tab") ?? "") ? (params.get("tab") as Tab) : "Dashboard";
  const [logout] = useLogoutMutation();
  const go = (t: Tab) => router.replace(`/admin?tab=${t}`);
  return (
    <div className={styles.page}>
      <header className={styles.top}>
        <strong className={styles.brand}>sioc<span>admin</span></strong>
        <StaffNav />
        <span className={styles.spacer} />
        <ThemeToggle className={form.secondary} />
        <button className={form.secondary} onClick={() => void logout()}>Log out</button>
      </header>
      <div role="tablist" aria-label="Admin" className={styles.tabs}>
        {TABS.map((t) => (
          <button
            key={t}
            role="tab"
            id={`tab-${t}`}
            aria-selected={tab === t}
            aria-controls={`panel-${t}`}
            tabIndex={tab === t ? 0 : -1}
            className={styles.tab}
            onClick={() => go(t)}
            onKeyDown={(e) => {
              const i = TABS.indexOf(t);
              if (e.key === "ArrowRight") go(TABS[(i + 1) % TABS.length]!);
              if (e.key === "ArrowLeft") go(TABS[(i + TABS.length - 1) % TABS.length]!);
            }}
          >
            {t}
          </button>
        ))}
      </div>
      <section role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className={styles.panel}>
        {tab === "Users" ? <Users /> : null}
        {tab === "Dashboard" ? <Dashboard /> : null}
        {tab === "Services" ? <Services /> : null}
        {tab === "Channels" ? <Channels /> : null}
      </section>
    </div>
  );
}

function roleText(r: DeskRole) {
  return r === "admin" ? "Admin" : "Attendant";
}

// ---- Users ---------------------------------------------------------------------------------

function Users() {
  const me = useAppSelector(selectMe);
  const { data, error, isLoading } = useGetDeskUsersQuery();
  const [update, updateState] = useUpdateDeskUserMutation();
  const [reset] = useResetDeskPasswordMutation();
  const [shown, setShown] = useState<{ user: DeskUser; token: string; link: string; expiresAt: number } | null>(null);
  return (
    <div className={styles.stack}>
      <CreateUser />
      <section aria-labelledby="users-h" className={styles.card}>
        <h2 id="users-h">Staff</h2>
        {isLoading ? <div className={styles.rowsSkeleton} role="progressbar" aria-label="Loading users"><span /><span /><span /></div> : null}
        {error ? <p role="alert" className={form.error}>{errorText(error)}</p> : null}
        {updateState.error ? <p role="alert" className={form.error}>{updateError(updateState.error)}</p> : null}
        {data ? (
          <div className={styles.tableWrap}>
            <table className={styles.table} aria-label="Staff users">
              <thead>
                <tr><th>User</th><th>Role</th><th>Status</th><th>Last seen</th><th><span className="sr-only">Actions</span></th></tr>
              </thead>
              <tbody>
                {data.map((u) => (
                  <tr key={u.id} data-inactive={!u.active || undefined}>
                    <td>
                      <strong>{u.displayName}</strong>
                      <div className={styles.sub}>{u.username}{u.id === me?.id ? " (you)" : ""}</div>
                    </td>
                    <td>
                      <select aria-label={`Role of ${u.username}`} value={u.role} disabled={u.id === me?.id} onChange={(e) => void update({ id: u.id, role: e.target.value as DeskRole })}>
                        <option value="attendant">Attendant</option>
                        <option value="admin">Admin</option>
                      </select>
                    </td>
                    <td><span className={styles.pill} data-on={u.active || undefined}>{u.active ? "Active" : "Deactivated"}</span></td>
                    <td>{u.lastSeenAt ? clock(u.lastSeenAt) : "—"}</td>
                    <td className={styles.actions}>
                      {u.id !== me?.id ? (
                        <button className={form.secondary} onClick={() => void update({ id: u.id, active: !u.active })} aria-label={`${u.active ? "Deactivate" : "Reactivate"} ${u.username}`}>
                          {u.active ? "Deactivate" : "Reactivate"}
                        </button>
                      ) : null}
                      <button
                        className={form.secondary}
                        aria-label={`Reset password of ${u.username}`}
                        onClick={async () => {
                          const r = await reset(u.id);
                          if ("data" in r && r.data) setShown({ user: u, token: r.data.token, link: `${window.location.origin}${r.data.resetUrl}`, expiresAt: r.data.expiresAt });
                        }}
                      >
                        Reset password
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <p className={form.muted}>Nobody is ever deleted: a deactivated user cannot log in, and everything they wrote stays.</p>
      </section>
      <Dialog title="One-time password reset" open={shown !== null} onClose={() => setShown(null)}>
        {shown ? (
          <>
            <p className={form.muted}>Give this link to {shown.user.displayName}. It works once, until {new Date(shown.expiresAt).toLocaleString()}.</p>
            <label className={form.field}>
              Reset link
              <input readOnly value={shown.link} onFocus={(e) => e.target.select()} />
            </label>
            <label className={form.field}>
              Reset token
              <input readOnly value={shown.token} onFocus={(e) => e.target.select()} />
            </label>
            <div className={form.row}>
              <button className={form.secondary} onClick={() => void navigator.clipboard?.writeText(shown.link)}>Copy link</button>
              <button className={form.primary} onClick={() => setShown(null)}>Done</button>
            </div>
          </>
        ) : null}
      </Dialog>
    </div>
  );
}

function updateError(e: unknown): string {
  const code = (e as { data?: { error?: { code?: string } } })?.data?.error?.code;
  if (code === "self_lockout") return "You cannot deactivate or demote yourself.";
  return errorText(e);
}

function CreateUser() {
  const [create, state] = useCreateDeskUserMutation();
  const [username, setUsername] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<DeskRole>("attendant");
  const [done, setDone] = useState<string | null>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const r = await create({ username, password, role, ...(displayName.trim() ? { displayName: displayName.trim() } : {}) });
    if ("data" in r) {
      setDone(`${username} was created as ${roleText(role).toLowerCase()}.`);
      setUsername("");
      setDisplayName("");
      setPassword("");
    }
  }
  return (
    <section aria-labelledby="create-h" className={styles.card}>
      <h2 id="create-h">New staff user</h2>
      <form className={styles.createForm} onSubmit={submit}>
        <label className={form.field}>Username<input value={username} onChange={(e) => setUsername(e.target.value)} required autoComplete="off" /></label>
        <label className={form.field}>Display name<input value={displayName} onChange={(e) => setDisplayName(e.target.value)} placeholder="Optional" /></label>
        <label className={form.field}>Password<input type="password" value={password} onChange={(e) => setPassword(e.target.value)} minLength={8} required autoComplete="new-password" /></label>
        <label className={form.field}>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as DeskRole)}>
            <option value="attendant">Attendant</option>
            <option value="admin">Admin</option>
          </select>
        </label>
        <button type="submit" className={form.primary} disabled={state.isLoading}>Create user</button>
      </form>
      {state.error ? <p role="alert" className={form.error}>{errorText(state.error)}</p> : null}
      {done && !state.error ? <p role="status" className={form.muted}>{done}</p> : null}
    </section>
  );
}

// ---- Dashboard -----------------------------------------------------------------------------

function Figure({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className={styles.figure} role="group" aria-label={label}>
      <span className={styles.figureLabel}>{label}</span>
      <strong className={styles.figureValue}>{value}</strong>
      {hint ? <span className={styles.sub}>{hint}</span> : null}
    </div>
  );
}

function ratingText(f: StatsFigures) {
  return f.rating.avg === null ? "—" : f.rating.avg.toFixed(1);
}

function usePeriod(days: number) {
  const [fromDate, setFrom] = useState(() => dateInput(new Date(Date.now() - (days - 1) * 86400000)));
  const [toDate, setTo] = useState(() => dateInput(new Date()));
  return { fromDate, toDate, setFrom, setTo, period: periodOf(fromDate, toDate) };
}

function Dashboard() {
  const p = usePeriod(7);
  const token = useAppSelector((s: { auth: AuthState }) => s.auth.accessToken);
  const { data, error, isFetching } = useGetStatsQuery(p.period ?? { from: 0, to: 0 }, { skip: !p.period });
  const csvUrl = p.period ? `/v1/api/desk/stats.csv?from=${p.period.from}&to=${p.period.to}` : "#";
  const preset = (days: number) => {
    p.setFrom(dateInput(new Date(Date.now() - (days - 1) * 86400000)));
    p.setTo(dateInput(new Date()));
  };
  return (
    <div className={styles.stack}>
      <div className={styles.periodBar}>
        <label className={form.field}>From<input type="date" value={p.fromDate} onChange={(e) => p.setFrom(e.target.value)} /></label>
        <label className={form.field}>To<input type="date" value={p.toDate} onChange={(e) => p.setTo(e.target.value)} /></label>
        <div className={styles.presets} role="group" aria-label="Period presets">
          <button className={form.secondary} onClick={() => preset(1)}>Today</button>
          <button className={form.secondary} onClick={() => preset(7)}>7 days</button>
          <button className={form.secondary} onClick={() => preset(30)}>30 days</button>
        </div>
        <span className={styles.spacer} />
        <a
          className={form.secondary}
          href={csvUrl}
          download="desk-stats.csv"
          onClick={async (e) => {
            // the CSV needs the bearer token: fetch it, then hand the browser a file
            e.preventDefault();
            const r = await fetch(csvUrl, { headers: token ? { authorization: `Bearer ${token}` } : {} });
            if (!r.ok) return;
            const url = URL.createObjectURL(await r.blob());
            const a = document.createElement("a");
            a.href = url;
            a.download = "desk-stats.csv";
            a.click();
            setTimeout(() => URL.revokeObjectURL(url), 1000);
          }}
        >
          Download CSV
        </a>
      </div>
      {!p.period ? <p role="alert" className={form.error}>Pick a From date before the To date.</p> : null}
      {error ? <p role="alert" className={form.error}>{errorText(error)}</p> : null}
      {!data && isFetching ? <div className={styles.figuresSkeleton} role="progressbar" aria-label="Loading the dashboard"><span /><span /><span /><span /><span /></div> : null}
      {data ? <StatsView stats={data} /> : null}
    </div>
  );
}

function StatsView({ stats }: { stats: DeskStats }) {
  const t = stats.totals;
  return (
    <>
      <div className={styles.figures} aria-label="Figures" role="region">
        <Figure label="Finished" value={String(t.finished)} hint={`${t.opened} opened in the period`} />
        <Figure label="Open" value={String(t.open)} hint={`${stats.unassigned.open} in the queue`} />
        <Figure label="First response" value={duration(t.firstResponse.avgMs)} hint={`average of ${t.firstResponse.count}`} />
        <Figure label="Resolution" value={duration(t.resolution.avgMs)} hint={`average of ${t.resolution.count}`} />
        <Figure label="Average rating" value={ratingText(t)} hint={`${t.rating.count} ratings`} />
      </div>
      <div className={styles.card}>
        <h2>Ratings</h2>
        <ul className={styles.ratingCounts} aria-label="Rating counts">
          {(["5", "4", "3", "2", "1"] as const).map((k) => (
            <li key={k}>
              <span>{k} ★</span>
              <span className={styles.bar}><span style={{ width: `${t.rating.count ? (100 * t.rating.counts[k]) / t.rating.count : 0}%` }} /></span>
              <span>{t.rating.counts[k]}</span>
            </li>
          ))}
        </ul>
      </div>
      <Charts stats={stats} />
      <section className={styles.card} aria-labelledby="per-h">
        <h2 id="per-h">Per attendant</h2>
        <div className={styles.tableWrap}>
          <table className={styles.table} aria-label="Per attendant">
            <thead>
              <tr><th>Attendant</th><th>Finished</th><th>Open</th><th>First response</th><th>Resolution</th><th>Rating</th></tr>
            </thead>
            <tbody>
              {stats.attendants.length === 0 ? (
                <tr><td colSpan={6} className={styles.sub}>No attendant had a service in this period.</td></tr>
              ) : null}
              {stats.attendants.map((a) => (
                <tr key={a.attendantId}>
                  <td>{a.displayName || a.username}</td>
                  <td>{a.finished}</td>
                  <td>{a.open}</td>
                  <td>{duration(a.firstResponse.avgMs)}</td>
                  <td>{duration(a.resolution.avgMs)}</td>
                  <td>{ratingText(a)} <span className={styles.sub}>({a.rating.count})</span></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}

// ---- Services ------------------------------------------------------------------------------

function Services() {
  const params = useSearchParams();
  const router = useRouter();
  const detail = Number(params.get("service")) || null;
  const { data: users } = useGetDeskUsersQuery();
  const [status, setStatus] = useState<"" | "open" | "finished">("");
  const [attendantId, setAttendant] = useState("");
  const [channel, setChannel] = useState("");
  const [fromDate, setFrom] = useState("");
  const [toDate, setTo] = useState("");
  // the cursor stack of the pages seen; other filters start again at the first page
  const [pages, setPages] = useState<{ key: string; cursors: (number | null)[] }>({ key: "", cursors: [null] });
  const period = fromDate && toDate ? periodOf(fromDate, toDate) : null;
  const base: ServiceFilters = {
    status,
    attendantId,
    channel,
    from: period?.from ?? (fromDate ? periodOf(fromDate, fromDate)?.from : undefined),
    to: period?.to ?? (toDate ? periodOf(toDate, toDate)?.to : undefined),
  };
  const key = servicesQuery(base);
  const cursors = pages.key === key ? pages.cursors : [null];
  const setCursors = (f: (c: (number | null)[]) => (number | null)[]) => setPages({ key, cursors: f(cursors) });
  const filters: ServiceFilters = { ...base, cursor: cursors.at(-1) ?? null };
  const { data, error, isFetching } = useGetServicesQuery(filters);
  const names = useMemo(() => Object.fromEntries((users ?? []).map((u) => [u.id, u.displayName])), [users]);
  if (detail) return <ServiceDetailView id={detail} names={names} onBack={() => router.replace("/admin?tab=Services")} />;
  return (
    <div className={styles.stack}>
      <form className={styles.filters} aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <label className={form.field}>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as typeof status)}>
            <option value="">Any</option>
            <option value="open">Open</option>
            <option value="finished">Finished</option>
          </select>
        </label>
        <label className={form.field}>
          Attendant
          <select value={attendantId} onChange={(e) => setAttendant(e.target.value)}>
            <option value="">Anyone</option>
            <option value="none">Unassigned (queue)</option>
            {(users ?? []).map((u) => <option key={u.id} value={u.id}>{u.displayName}</option>)}
          </select>
        </label>
        <label className={form.field}>
          Channel
          <select value={channel} onChange={(e) => setChannel(e.target.value)}>
            <option value="">Any</option>
            <option value="widget">Web chat</option>
            <option value="whatsapp">WhatsApp</option>
          </select>
        </label>
        <label className={form.field}>From<input type="date" value={fromDate} onChange={(e) => setFrom(e.target.value)} /></label>
        <label className={form.field}>To<input type="date" value={toDate} onChange={(e) => setTo(e.target.value)} /></label>
      </form>
      {error ? <p role="alert" className={form.error}>{errorText(error)}</p> : null}
      <div className={styles.card}>
        <div className={styles.tableWrap}>
          <table className={styles.table} aria-label="Services">
            <thead>
              <tr><th>#</th><th>Customer</th><th>Channel</th><th>Status</th><th>Attendant</th><th>Opened</th><th>Rating</th></tr>
            </thead>
            <tbody>
              {!data && isFetching ? <tr><td colSpan={7}><div className={styles.rowsSkeleton} role="progressbar" aria-label="Loading services"><span /><span /></div></td></tr> : null}
              {data && data.services.length === 0 ? <tr><td colSpan={7} className={styles.sub}>No service matches these filters.</td></tr> : null}
              {(data?.services ?? []).map((s) => (
                <tr key={s.id}>
                  <td>{s.id}</td>
                  <td>
                    <button className={styles.linkButton} onClick={() => router.replace(`/admin?tab=Services&service=${s.id}`)}>
                      {s.customer.name || "Visitor"}
                    </button>
                    <div className={styles.sub}>{s.customer.email}</div>
                  </td>
                  <td>{s.channel === "widget" ? "Web chat" : s.channel === "whatsapp" ? "WhatsApp" : s.channel}</td>
                  <td><span className={styles.pill} data-on={s.status === "open" || undefined}>{s.status === "open" ? "Open" : "Finished"}</span></td>
                  <td>{s.attendantId ? (names[s.attendantId] ?? `#${s.attendantId}`) : "Queue"}</td>
                  <td>{clock(s.createdAt)}</td>
                  <td>{s.rating ? `${s.rating} ★` : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div className={form.row}>
          <button className={form.secondary} disabled={cursors.length < 2} onClick={() => setCursors((c) => c.slice(0, -1))}>Previous page</button>
          <button className={form.secondary} disabled={!data?.nextCursor} onClick={() => setCursors((c) => [...c, data?.nextCursor ?? null])}>Next page</button>
        </div>
      </div>
    </div>
  );
}

function ServiceDetailView({ id, names, onBack }: { id: number; names: Record<number, string>; onBack: () => void }) {
  const { data, error, isLoading } = useGetServiceQuery(id);
  const { data: users } = useGetDeskUsersQuery();
  const staff = useMemo(() => Object.fromEntries((users ?? []).map((u) => [u.id, u])), [users]);
  const s = data?.service;
  return (
    <div className={styles.stack}>
      <div><button className={form.secondary} onClick={onBack}>Back to services</button></div>
      {isLoading ? <div className={styles.rowsSkeleton} role="progressbar" aria-label="Loading the service"><span /><span /></div> : null}
      {error ? <p role="alert" className={form.error}>{errorText(error)}</p> : null}
      {s && data ? (
        <section className={styles.card} aria-labelledby="svc-h">
          <h2 id="svc-h">Service #{s.id} · {s.customer.name || "Visitor"}</h2>
          <dl className={styles.facts}>
            <div><dt>Status</dt><dd>{s.status === "open" ? "Open" : `Finished${s.finishReason === "idle" ? " (idle)" : ""}`}</dd></div>
            <div><dt>E-mail</dt><dd>{s.customer.email || "—"}</dd></div>
            <div><dt>Channel</dt><dd>{s.channel === "widget" ? "Web chat" : s.channel}</dd></div>
            <div><dt>Attendant</dt><dd>{s.attendantId ? (names[s.attendantId] ?? `#${s.attendantId}`) : "Queue"}</dd></div>
            <div><dt>Opened</dt><dd>{clock(s.createdAt)}</dd></div>
            <div><dt>First response</dt><dd>{s.firstResponseAt ? duration(s.firstResponseAt - s.createdAt) : "—"}</dd></div>
            <div><dt>Resolution</dt><dd>{duration(s.resolutionMs)}</dd></div>
            <div><dt>Rating</dt><dd>{s.rating ? `${s.rating} of 5${s.ratingComment ? ` — “${s.ratingComment}”` : ""}` : "—"}</dd></div>
          </dl>
          <div className={styles.transcript}>
            <MessageList channel={s.channel} messages={data.messages} staff={staff} customerName={s.customer.name || "Visitor"} />
          </div>
        </section>
      ) : null}
    </div>
  );
}

// ---- Channels ------------------------------------------------------------------------------

function Channels() {
  const { data, error, isLoading } = useGetChannelsQuery();
  const [toggle, state] = useSetChannelEnabledMutation();
  return (
    <section className={styles.card} aria-labelledby="channels-h">
      <h2 id="channels-h">Channels</h2>
      <p className={form.muted}>The web chat widget is always on (see /support). Outside channels:</p>
      {isLoading ? <div className={styles.rowsSkeleton} role="progressbar" aria-label="Loading channels"><span /></div> : null}
      {error ? <p role="alert" className={form.error}>{errorText(error)}</p> : null}
      {state.error ? <p role="alert" className={form.error}>{errorText(state.error)}</p> : null}
      {data && (!data.configured || data.channels.length === 0) ? <p>No outside channels configured</p> : null}
      <ul className={styles.channelList} aria-label="Outside channels">
        {(data?.channels ?? []).map((c) => (
          <li key={c.id} className={styles.channelCard}>
            <div>
              <strong>{c.name}</strong>
              <div className={styles.sub}>
                {c.connected ? "Connected" : "Not connected"} · webhook {c.webhookVerified ? "verified" : "not verified"}
                {c.lastEventAt ? ` · last event ${clock(c.lastEventAt)}` : ""}
              </div>
              {c.phoneNumberId || c.template ? (
                <div className={styles.sub}>
                  {c.phoneNumberId ? `Phone number id ${c.phoneNumberId}` : ""}
                  {c.phoneNumberId && c.template ? " · " : ""}
                  {c.template ? `template ${c.template}` : ""}
                </div>
              ) : null}
              {c.lastError ? <div className={form.error}>Last error: {c.lastError}</div> : null}
            </div>
            <label className={form.check}>
              <input type="checkbox" checked={c.enabled} onChange={(e) => void toggle({ id: c.id, enabled: e.target.checked })} aria-label={`${c.name} enabled`} />
              Enabled
            </label>
          </li>
        ))}
      </ul>
    </section>
  );
}

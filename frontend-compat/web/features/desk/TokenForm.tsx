"use client";
// TokenForm.tsx - the two pages a one-time link opens: /desk/reset?token=... (an admin-issued
// password reset: `New password`, `Set password`) and /desk/setup?token=... (the first admin,
// from the link in sioc's log: `Username`, `Display name`, `Password`, `Create admin`). Both post
// the token to the public desk route and then send the person to the login.
import { useState, type FormEvent } from "react";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import styles from "@/features/auth/AuthForm.module.css";

const WORDS: Record<string, string> = {
  reset_token_invalid: "This link is used up or expired. Ask an admin for a new one.",
  setup_token_invalid: "This setup link is used up. Look for a new one in sioc's log.",
  setup_closed: "The desk already has an admin. Log in instead.",
  username_taken: "That username is already taken.",
};

export default function TokenForm({ mode }: { mode: "reset" | "setup" }) {
  const token = useSearchParams().get("token") ?? "";
  const [username, setUsername] = useState("");
  const [display, setDisplay] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const url = mode === "reset" ? "/v1/api/desk/password-reset" : "/v1/api/desk/setup";
    const body = mode === "reset" ? { token, password } : { token, username, password, ...(display.trim() ? { displayName: display.trim() } : {}) };
    try {
      const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      if (r.ok) return setDone(true);
      const j = (await r.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
      setError(WORDS[j?.error?.code ?? ""] ?? j?.error?.message ?? "Something went wrong. Try again.");
    } catch {
      setError("Cannot reach the server. Check your connection and try again.");
    }
  }
  return (
    <main className={styles.page}>
      <form className={styles.card} onSubmit={submit}>
        <h1>{mode === "reset" ? "Choose a new password" : "Create the desk's first admin"}</h1>
        {!token ? <p role="alert" className={styles.error}>This page needs the link with its token.</p> : null}
        {done ? (
          <p role="status">
            {mode === "reset" ? "Your password is set." : "The admin is created."} <Link href="/login">Log in</Link>
          </p>
        ) : (
          <>
            {mode === "setup" ? (
              <>
                <label>Username<input value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required /></label>
                <label>Display name<input value={display} onChange={(e) => setDisplay(e.target.value)} autoComplete="name" placeholder="Optional" /></label>
              </>
            ) : null}
            <label>
              {mode === "reset" ? "New password" : "Password"}
              <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} minLength={8} maxLength={64} autoComplete="new-password" required />
              <span className={styles.hint}>8 to 64 characters.</span>
            </label>
            {error ? <p role="alert" className={styles.error}>{error}</p> : null}
            <button type="submit" disabled={!token}>{mode === "reset" ? "Set password" : "Create admin"}</button>
          </>
        )}
      </form>
    </main>
  );
}

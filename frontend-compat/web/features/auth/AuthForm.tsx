"use client";
// AuthForm.tsx - the log-in and register form (fields `Username`, `Password`; buttons `Log in` /
// `Register`; `Display name` when registering); server errors are shown in words.
import { useState, type FormEvent } from "react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { errorText } from "@/lib/api";
import { homeFor } from "@/features/desk/roles";
import { useLoginMutation, useRegisterMutation } from "./authApi";
import styles from "./AuthForm.module.css";

export default function AuthForm({ mode }: { mode: "login" | "register" }) {
  const [login, loginState] = useLoginMutation();
  const [register, registerState] = useRegisterMutation();
  const state = mode === "login" ? loginState : registerState;
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [display, setDisplay] = useState("");
  const router = useRouter();
  async function submit(e: FormEvent) {
    e.preventDefault();
    const res = mode === "login" ? await login({ username, password }) : await register({ username, password, ...(display.trim() ? { displayName: display.trim() } : {}) });
    if ("data" in res && res.data) router.replace(homeFor(res.data.user)); // staff: /desk or /admin
  }
  const title = mode === "login" ? "Log in" : "Register";
  return (
    <main className={styles.page}>
      <form className={styles.card} onSubmit={submit}>
        <p className={styles.brand} aria-hidden="true">sioc<span>chat</span></p>
        <h1>{mode === "login" ? "Log in to sioc chat" : "Create your account"}</h1>
        <p className={styles.lead}>{mode === "login" ? "Channels, groups and 1:1 chats with your team." : "Pick a user name; the display name is what others see."}</p>
        <label>
          Username
          <input value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required />
        </label>
        {mode === "register" ? (
          <label>
            Display name
            <input value={display} onChange={(e) => setDisplay(e.target.value)} autoComplete="name" maxLength={50} placeholder="How others see you (optional)" />
          </label>
        ) : null}
        <label>
          Password
          <input
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete={mode === "login" ? "current-password" : "new-password"}
            minLength={mode === "register" ? 8 : 1}
            aria-describedby={mode === "register" ? "pw-hint" : undefined}
            required
          />
          {mode === "register" ? <span id="pw-hint" className={styles.hint}>At least 8 characters.</span> : null}
        </label>
        {state.error ? <p role="alert" className={styles.error}>{errorText(state.error)}</p> : null}
        <button type="submit" disabled={state.isLoading}>{title}</button>
        {mode === "login" ? (
          <p className={styles.switch}>No account yet? <Link href="/register">Register</Link></p>
        ) : (
          <p className={styles.switch}>Already have an account? <Link href="/login">Log in</Link></p>
        )}
      </form>
    </main>
  );
}

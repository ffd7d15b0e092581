"use client";
// AuthForm.tsx - the log-in and register form (fields `Username`, `Password`; buttons `Log in` /
// `Register`); server errors are shown in words.
import { useState, type FormEvent } from "react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { errorText } from "@/lib/api";
import { useLoginMutation, useRegisterMutation } from "./authApi";
import styles from "./AuthForm.module.css";

export default function AuthForm({ mode }: { mode: "login" | "register" }) {
  const [login, loginState] = useLoginMutation();
  const [register, registerState] = useRegisterMutation();
  const state = mode === "login" ? loginState : registerState;
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const router = useRouter();
  async function submit(e: FormEvent) {
    e.preventDefault();
    const res = mode === "login" ? await login({ username, password }) : await register({ username, password });
    if ("data" in res) router.replace("/chat");
  }
  const title = mode === "login" ? "Log in" : "Register";
  return (
    <main className={styles.page}>
      <form className={styles.card} onSubmit={submit}>
        <h1>{mode === "login" ? "Log in to sioc chat" : "Create your account"}</h1>
        <label>
          Username
          <input value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required />
        </label>
        <label>
          Password
          <input
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete={mode === "login" ? "current-password" : "new-password"}
            minLength={mode === "register" ? 8 : 1}
            required
          />
        </label>
        {state.error ? <p role="alert" className={styles.error}>{errorText(state.error)}</p> : null}
        <button type="submit" disabled={state.isLoading}>{title}</button>
        {mode === "login" ? (
          <p>No account yet? <Link href="/register">Register</Link></p>
        ) : (
          <p>Already have an account? <Link href="/login">Log in</Link></p>
        )}
      </form>
    </main>
  );
}

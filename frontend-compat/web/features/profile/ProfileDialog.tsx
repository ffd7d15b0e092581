"use client";
// ProfileDialog.tsx - the person's own profile: `Display name` and the colour their name is
// painted in (a radio group of swatches), saved with PATCH /users/me; errors shown in words.
import { useState, type FormEvent } from "react";
import Dialog from "@/components/Dialog";
import form from "@/components/form.module.css";
import { errorText } from "@/lib/api";
import { colorOf, NAME_COLORS } from "@/lib/color";
import type { User } from "@/lib/types";
import { userName } from "@/features/users/usersApi";
import { useUpdateProfileMutation } from "./profileApi";
import styles from "./ProfileDialog.module.css";

export default function ProfileDialog({ me, open, onClose }: { me: User; open: boolean; onClose: () => void }) {
  return (
    <Dialog title="Profile" open={open} onClose={onClose}>
      <ProfileForm me={me} onDone={onClose} />
    </Dialog>
  );
}

function ProfileForm({ me, onDone }: { me: User; onDone: () => void }) {
  const [name, setName] = useState(userName(me));
  const [color, setColor] = useState(colorOf(me));
  const [update, state] = useUpdateProfileMutation();
  async function submit(e: FormEvent) {
    e.preventDefault();
    const res = await update({ displayName: name.trim(), nameColor: color });
    if ("data" in res) onDone();
  }
  return (
    <form className={styles.form} onSubmit={submit}>
      <label className={form.field}>
        Display name
        <input value={name} onChange={(e) => setName(e.target.value)} maxLength={50} required />
      </label>
      <fieldset className={styles.colors}>
        <legend>Name colour</legend>
        {NAME_COLORS.map((c) => (
          <label key={c} className={styles.swatch} style={{ background: c }}>
            <input type="radio" name="nameColor" value={c} checked={color === c} onChange={() => setColor(c)} aria-label={`Colour ${c}`} />
          </label>
        ))}
      </fieldset>
      <p className={styles.preview}>
        Preview: <strong style={{ color: `color-mix(in srgb, ${color} 80%, var(--fg))` }}>{name.trim() || me.username}</strong>
      </p>
      {state.error ? <p role="alert" className={form.error}>{errorText(state.error)}</p> : null}
      <div className={form.row}>
        <button type="button" className={form.secondary} onClick={onDone}>Cancel</button>
        <button type="submit" className={form.primary} disabled={state.isLoading}>Save</button>
      </div>
    </form>
  );
}

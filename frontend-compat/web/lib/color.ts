// color.ts - the colour a user's name and avatar are painted in: their chosen name colour, else
// one of the palette picked by their id, so that a conversation tells people apart at a glance.
import type { User } from "./types";

/** The palette people choose from (profile) and that users without a choice get by id. */
export const NAME_COLORS = ["#1f6feb", "#0a7d53", "#b35900", "#c0245c", "#7a3fd1", "#0b7a8a", "#8a6a00", "#5a6472"];

export function colorOf(user: Pick<User, "id" | "nameColor"> | undefined | null): string {
  if (!user) return NAME_COLORS[NAME_COLORS.length - 1]!;
  return user.nameColor || NAME_COLORS[user.id % NAME_COLORS.length]!;
}

/** Up to two letters for an avatar: initials of the display name, else of the user name. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length >= 2) return (words[0]![0]! + words[1]![0]!).toUpperCase();
  return (words[0] ?? "?").slice(0, 2).toUpperCase();
}

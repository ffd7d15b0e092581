// roles.ts - where a signed-in person belongs: admins to /admin (they may use /desk and /chat
// too), attendants to /desk, chat users to /chat. The chat's user role "agent" is the desk's
// "attendant".
import type { User } from "@/lib/types";

export function isStaff(u: Pick<User, "role"> | null | undefined): boolean {
  return u?.role === "admin" || u?.role === "agent";
}

export function homeFor(u: Pick<User, "role"> | null | undefined): string {
  if (u?.role === "admin") return "/admin";
  if (u?.role === "agent") return "/desk";
  return "/chat";
}

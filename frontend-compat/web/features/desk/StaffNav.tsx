"use client";
// StaffNav.tsx - the `Sections` navigation between Chat, Desk and Admin, by role: staff see Chat
// and Desk, admins also Admin; chat users see nothing. The current page is marked aria-current.
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useAppSelector } from "@/lib/hooks";
import { selectMe } from "@/features/auth/authSlice";
import { isStaff } from "./roles";
import styles from "./StaffNav.module.css";

export default function StaffNav({ className }: { className?: string }) {
  const me = useAppSelector(selectMe);
  const path = usePathname();
  if (!isStaff(me)) return null;
  const links = [
    { href: "/chat", label: "Chat" },
    { href: "/desk", label: "Desk" },
    ...(me?.role === "admin" ? [{ href: "/admin", label: "Admin" }] : []),
  ];
  return (
    <nav aria-label="Sections" className={`${styles.nav} ${className ?? ""}`}>
      {links.map((l) => {
        const current = path === l.href || path?.startsWith(`${l.href}/`);
        return (
          <Link key={l.href} href={l.href} aria-current={current ? "page" : undefined} className={styles.link}>
            {l.label}
          </Link>
        );
      })}
    </nav>
  );
}

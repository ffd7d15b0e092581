"use client";
// page.tsx - `/`: to the chat when signed in (staff: the desk or admin), else to the login page.
import { useEffect } from "react";
import { useRouter } from "next/navigation";
import { useAppSelector } from "@/lib/hooks";
import { selectMe, selectSignedIn } from "@/features/auth/authSlice";
import { homeFor } from "@/features/desk/roles";

export default function Home() {
  const signedIn = useAppSelector(selectSignedIn);
  const me = useAppSelector(selectMe);
  const router = useRouter();
  useEffect(() => router.replace(signedIn ? homeFor(me) : "/login"), [signedIn, me, router]);
  return null;
}

"use client";
// page.tsx - `/`: to the chat when signed in, else to the login page.
import { useEffect } from "react";
import { useRouter } from "next/navigation";
import { useAppSelector } from "@/lib/hooks";
import { selectSignedIn } from "@/features/auth/authSlice";

export default function Home() {
  const signedIn = useAppSelector(selectSignedIn);
  const router = useRouter();
  useEffect(() => router.replace(signedIn ? "/chat" : "/login"), [signedIn, router]);
  return null;
}

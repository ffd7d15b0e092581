import { Suspense } from "react";
import SupportWidget from "@/features/support/SupportWidget";

export const metadata = { title: "Support" };

export default function SupportPage() {
  return (
    <Suspense fallback={null}>
      <SupportWidget />
    </Suspense>
  );
}

import { Suspense } from "react";
import TokenForm from "@/features/desk/TokenForm";

export default function DeskSetupPage() {
  return (
    <Suspense fallback={null}>
      <TokenForm mode="setup" />
    </Suspense>
  );
}

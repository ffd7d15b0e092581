import { Suspense } from "react";
import TokenForm from "@/features/desk/TokenForm";

export default function DeskResetPage() {
  return (
    <Suspense fallback={null}>
      <TokenForm mode="reset" />
    </Suspense>
  );
}

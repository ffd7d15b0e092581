import { Suspense } from "react";
import DeskApp from "@/features/desk/DeskApp";

export const metadata = { title: "Desk — sioc" };

export default function DeskPage() {
  return (
    <Suspense fallback={null}>
      <DeskApp />
    </Suspense>
  );
}

import { Suspense } from "react";
import AdminApp from "@/features/admin/AdminApp";

export const metadata = { title: "Admin — sioc" };

export default function AdminPage() {
  return (
    <Suspense fallback={null}>
      <AdminApp />
    </Suspense>
  );
}

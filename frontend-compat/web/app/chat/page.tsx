import { Suspense } from "react";
import ChatApp from "@/features/chats/ChatApp";

export default function ChatPage() {
  return (
    <Suspense fallback={null}>
      <ChatApp />
    </Suspense>
  );
}

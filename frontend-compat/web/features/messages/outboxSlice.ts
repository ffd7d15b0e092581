// outboxSlice.ts - messages the person wrote that the server has not acknowledged yet. Each has
// its clientMsgId from the moment it is written; the list is persisted (a reload or a dropped
// connection loses nothing) and sent again, with the same id, when the socket is back, so the
// server stores it once. `failed` ones (the server said no) wait for a retry.
import { createSlice, type PayloadAction } from "@reduxjs/toolkit";
import { load } from "@/lib/storage";
import type { Attachment } from "@/lib/types";

export const OUTBOX_KEY = "sioc.outbox";

export interface OutboxItem {
  clientMsgId: string;
  chatId: number;
  body: string;
  /** uploaded before the message was queued; sent as attachmentIds */
  attachments?: Attachment[];
  createdAt: number;
  status: "pending" | "failed";
  error?: string;
}

export interface OutboxState {
  items: OutboxItem[];
}

function loadOutbox(): OutboxState {
  const items = load<OutboxItem[]>(OUTBOX_KEY, []);
  return { items: Array.isArray(items) ? items : [] };
}

const outboxSlice = createSlice({
  name: "outbox",
  initialState: loadOutbox,
  reducers: {
    queued(state, action: PayloadAction<Omit<OutboxItem, "status">>) {
      if (!state.items.some((i) => i.clientMsgId === action.payload.clientMsgId)) {
        state.items.push({ ...action.payload, status: "pending" });
      }
    },
    delivered(state, action: PayloadAction<string>) {
      state.items = state.items.filter((i) => i.clientMsgId !== action.payload);
    },
    failed(state, action: PayloadAction<{ clientMsgId: string; error: string }>) {
      const item = state.items.find((i) => i.clientMsgId === action.payload.clientMsgId);
      if (item) {
        item.status = "failed";
        item.error = action.payload.error;
      }
    },
    retried(state, action: PayloadAction<string>) {
      const item = state.items.find((i) => i.clientMsgId === action.payload);
      if (item) {
        item.status = "pending";
        delete item.error;
      }
    },
    discarded(state, action: PayloadAction<string>) {
      state.items = state.items.filter((i) => i.clientMsgId !== action.payload);
    },
    cleared() {
      return { items: [] };
    },
  },
});

export const { queued, delivered, failed, retried, discarded, cleared } = outboxSlice.actions;
export default outboxSlice.reducer;
export const selectOutbox = (s: { outbox: OutboxState }) => s.outbox.items;

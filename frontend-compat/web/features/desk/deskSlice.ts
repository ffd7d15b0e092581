// deskSlice.ts - what the desk page keeps outside the RTK Query cache: the selected service, the
// unread customer messages per service (they count while the tab is hidden or the service is not
// the one shown: the title badge and the beep follow them), the last message of each service for
// the inbox rows, and the outbox of answers not yet acknowledged (persisted like the chat's: a
// reload loses nothing; sent again with the same clientMsgId, so stored once); and what the
// channels reported live (WhatsApp): the error of each message they failed to deliver (the REST
// message has its state only) and when a send was refused for the 24-hour window.
import { createSlice, type PayloadAction } from "@reduxjs/toolkit";
import { serverNow } from "@/lib/clock";
import { load } from "@/lib/storage";
import type { DeskMessage } from "@/lib/types";

export const DESK_OUTBOX_KEY = "sioc.deskOutbox";

export interface DeskOutboxItem {
  clientMsgId: string;
  serviceId: number;
  body: string;
  createdAt: number;
  status: "pending" | "failed";
  error?: string;
  /** the server's code of a failed send (outside_window: the WhatsApp window is closed) */
  code?: string;
}

export interface DeskState {
  selected: number | null;
  unread: Record<number, number>;
  preview: Record<number, { body: string; direction: "in" | "out"; at: number }>;
  outbox: DeskOutboxItem[];
  /** message id -> the channel's error text (message:status failed) */
  deliveryErrors: Record<number, string>;
  /** service id -> when the channel refused free text for its window (409 outside_window, #131047) */
  windowRefused: Record<number, number>;
}

function initial(): DeskState {
  const items = load<DeskOutboxItem[]>(DESK_OUTBOX_KEY, []);
  return { selected: null, unread: {}, preview: {}, outbox: Array.isArray(items) ? items : [], deliveryErrors: {}, windowRefused: {} };
}

const deskSlice = createSlice({
  name: "desk",
  initialState: initial,
  reducers: {
    serviceSelected(state, action: PayloadAction<{ id: number | null; hidden: boolean }>) {
      state.selected = action.payload.id;
      if (action.payload.id !== null && !action.payload.hidden) delete state.unread[action.payload.id];
    },
    /** The tab became visible again: the shown service is read. */
    pageShown(state) {
      if (state.selected !== null) delete state.unread[state.selected];
    },
    messageArrived(state, action: PayloadAction<{ message: DeskMessage; hidden: boolean }>) {
      const { message: m, hidden } = action.payload;
      const p = state.preview[m.serviceId];
      if (!p || p.at <= m.createdAt) state.preview[m.serviceId] = { body: m.body, direction: m.direction, at: m.createdAt };
      if (m.direction === "in" && (hidden || state.selected !== m.serviceId)) {
        state.unread[m.serviceId] = (state.unread[m.serviceId] ?? 0) + 1;
      }
    },
    serviceGone(state, action: PayloadAction<number>) {
      delete state.unread[action.payload];
    },
    deskQueued(state, action: PayloadAction<Omit<DeskOutboxItem, "status">>) {
      if (!state.outbox.some((i) => i.clientMsgId === action.payload.clientMsgId)) state.outbox.push({ ...action.payload, status: "pending" });
    },
    deskDelivered(state, action: PayloadAction<string>) {
      state.outbox = state.outbox.filter((i) => i.clientMsgId !== action.payload);
    },
    deskFailed(state, action: PayloadAction<{ clientMsgId: string; error: string; code?: string }>) {
      const i = state.outbox.find((x) => x.clientMsgId === action.payload.clientMsgId);
      if (i) {
        i.status = "failed";
        i.error = action.payload.error;
        if (action.payload.code) i.code = action.payload.code;
        if (action.payload.code === "outside_window") state.windowRefused[i.serviceId] = serverNow();
      }
    },
    /** A channel could not deliver a stored message; `closesWindow`: for the 24-hour window. */
    deliveryFailed(state, action: PayloadAction<{ serviceId: number; messageId: number; error: string; closesWindow?: boolean }>) {
      const { serviceId, messageId, error, closesWindow } = action.payload;
      state.deliveryErrors[messageId] = error;
      if (closesWindow) state.windowRefused[serviceId] = serverNow();
    },
    deskRetried(state, action: PayloadAction<string>) {
      const i = state.outbox.find((x) => x.clientMsgId === action.payload);
      if (i) {
        i.status = "pending";
        delete i.error;
        delete i.code;
      }
    },
    deskCleared() {
      return { selected: null, unread: {}, preview: {}, outbox: [], deliveryErrors: {}, windowRefused: {} };
    },
  },
});

export const { serviceSelected, pageShown, messageArrived, serviceGone, deskQueued, deskDelivered, deskFailed, deliveryFailed, deskRetried, deskCleared } =
  deskSlice.actions;
export default deskSlice.reducer;
export const selectDesk = (s: { desk: DeskState }) => s.desk;

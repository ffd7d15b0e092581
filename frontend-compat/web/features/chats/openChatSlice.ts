// openChatSlice.ts - which chat the person is looking at (from the URL ?c=…). The chat list's
// stream reads it so that a message arriving in the open chat does not raise its unread badge.
import { createSlice, type PayloadAction } from "@reduxjs/toolkit";

const openChatSlice = createSlice({
  name: "openChat",
  initialState: { chatId: null as number | null },
  reducers: {
    chatOpened(state, action: PayloadAction<number | null>) {
      state.chatId = action.payload;
    },
  },
});

export const { chatOpened } = openChatSlice.actions;
export default openChatSlice.reducer;
export const selectOpenChatId = (s: { openChat: { chatId: number | null } }) => s.openChat.chatId;

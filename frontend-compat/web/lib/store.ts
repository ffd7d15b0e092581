// store.ts - the Redux store: the RTK Query cache (lib/api.ts) plus small slices (auth,
// outbox, open chat, desk). The session and the outbox are saved to localStorage on change; logging
// out (or a refused refresh) tears the socket down and empties the cache.
import { configureStore, createListenerMiddleware } from "@reduxjs/toolkit";
import { setupListeners } from "@reduxjs/toolkit/query";
import authReducer, { AUTH_KEY, loggedOut } from "@/features/auth/authSlice";
import openChatReducer from "@/features/chats/openChatSlice";
import outboxReducer, { cleared, OUTBOX_KEY } from "@/features/messages/outboxSlice";
import { api } from "./api";
import { closeSocket, setTokenSource } from "./socket";
import { save } from "./storage";
// support desk (features/desk): its slice, its /desk socket
import deskReducer, { DESK_OUTBOX_KEY, deskCleared } from "@/features/desk/deskSlice";
import { closeDeskSocket, setDeskTokenSource } from "@/features/desk/deskSocket";

export function makeStore() {
  const listener = createListenerMiddleware();
  listener.startListening({
    actionCreator: loggedOut,
    effect: (_action, { dispatch }) => {
      closeSocket();
      closeDeskSocket();
      dispatch(deskCleared());
      dispatch(cleared());
      dispatch(api.util.resetApiState());
    },
  });
  const store = configureStore({
    reducer: {
      [api.reducerPath]: api.reducer,
      auth: authReducer,
      outbox: outboxReducer,
      openChat: openChatReducer,
      desk: deskReducer,
    },
    middleware: (gDM) => gDM().prepend(listener.middleware).concat(api.middleware),
  });
  let lastAuth = store.getState().auth;
  let lastOutbox = store.getState().outbox.items;
  let lastDeskOutbox = store.getState().desk.outbox;
  store.subscribe(() => {
    const s = store.getState();
    if (s.auth !== lastAuth) save(AUTH_KEY, s.auth.accessToken ? s.auth : null);
    if (s.outbox.items !== lastOutbox) save(OUTBOX_KEY, s.outbox.items);
    if (s.desk.outbox !== lastDeskOutbox) save(DESK_OUTBOX_KEY, s.desk.outbox);
    lastDeskOutbox = s.desk.outbox;
    lastAuth = s.auth;
    lastOutbox = s.outbox.items;
  });
  setTokenSource(() => store.getState().auth.accessToken);
  setDeskTokenSource(() => store.getState().auth.accessToken);
  setupListeners(store.dispatch);
  return store;
}

export type AppStore = ReturnType<typeof makeStore>;
export type RootState = ReturnType<AppStore["getState"]>;
export type AppDispatch = AppStore["dispatch"];

// store.ts - the Redux store: the RTK Query cache (lib/api.ts) plus three small slices (auth,
// outbox, open chat). The session and the outbox are saved to localStorage on change; logging
// out (or a refused refresh) tears the socket down and empties the cache.
import { configureStore, createListenerMiddleware } from "@reduxjs/toolkit";
import { setupListeners } from "@reduxjs/toolkit/query";
import authReducer, { AUTH_KEY, loggedOut } from "@/features/auth/authSlice";
import openChatReducer from "@/features/chats/openChatSlice";
import outboxReducer, { cleared, OUTBOX_KEY } from "@/features/messages/outboxSlice";
import { api } from "./api";
import { closeSocket, setTokenSource } from "./socket";
import { save } from "./storage";

export function makeStore() {
  const listener = createListenerMiddleware();
  listener.startListening({
    actionCreator: loggedOut,
    effect: (_action, { dispatch }) => {
      closeSocket();
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
    },
    middleware: (gDM) => gDM().prepend(listener.middleware).concat(api.middleware),
  });
  let lastAuth = store.getState().auth;
  let lastOutbox = store.getState().outbox.items;
  store.subscribe(() => {
    const s = store.getState();
    if (s.auth !== lastAuth) save(AUTH_KEY, s.auth.accessToken ? s.auth : null);
    if (s.outbox.items !== lastOutbox) save(OUTBOX_KEY, s.outbox.items);
    lastAuth = s.auth;
    lastOutbox = s.outbox.items;
  });
  setTokenSource(() => store.getState().auth.accessToken);
  setupListeners(store.dispatch);
  return store;
}

export type AppStore = ReturnType<typeof makeStore>;
export type RootState = ReturnType<AppStore["getState"]>;
export type AppDispatch = AppStore["dispatch"];

// authSlice.ts - the signed-in session: the token pair and the user it belongs to. Loaded from
// localStorage at start (a reload stays signed in) and saved by the store's subscriber.
import { createSlice, type PayloadAction } from "@reduxjs/toolkit";
import { load } from "@/lib/storage";
import type { TokenPair, User } from "@/lib/types";

export const AUTH_KEY = "sioc.auth";

export interface AuthState {
  accessToken: string | null;
  refreshToken: string | null;
  user: User | null;
}

const empty: AuthState = { accessToken: null, refreshToken: null, user: null };

export function loadAuth(): AuthState {
  const s = load<AuthState>(AUTH_KEY, empty);
  return s && typeof s.accessToken === "string" && typeof s.refreshToken === "string" ? s : empty;
}

const authSlice = createSlice({
  name: "auth",
  initialState: loadAuth,
  reducers: {
    tokensReceived(state, action: PayloadAction<TokenPair>) {
      state.accessToken = action.payload.accessToken;
      state.refreshToken = action.payload.refreshToken;
      state.user = action.payload.user;
    },
    userUpdated(state, action: PayloadAction<User>) {
      if (state.user && state.user.id === action.payload.id) state.user = action.payload;
    },
    loggedOut() {
      return empty;
    },
  },
});

export const { tokensReceived, userUpdated, loggedOut } = authSlice.actions;
export default authSlice.reducer;

export const selectAuth = (s: { auth: AuthState }) => s.auth;
export const selectMe = (s: { auth: AuthState }) => s.auth.user;
export const selectSignedIn = (s: { auth: AuthState }) => s.auth.accessToken !== null;

// authApi.ts - register, log in, log out (REST). A token pair that comes back starts the session
// (authSlice); logging out revokes the refresh token on the server, then ends the session
// locally whatever the server said (the store's listener closes the socket and empties the cache).
import { api } from "@/lib/api";
import type { LoginRequest, RegisterRequest, TokenPair } from "@/lib/types";
import { loggedOut, tokensReceived, type AuthState } from "./authSlice";

export const authApi = api.injectEndpoints({
  endpoints: (build) => ({
    login: build.mutation<TokenPair, LoginRequest>({
      query: (body) => ({ url: "/auth/login", method: "POST", body }),
      async onQueryStarted(_arg, { dispatch, queryFulfilled }) {
        const { data } = await queryFulfilled.catch(() => ({ data: null }));
        if (data) dispatch(tokensReceived(data));
      },
    }),
    register: build.mutation<TokenPair, RegisterRequest>({
      query: (body) => ({ url: "/auth/register", method: "POST", body }),
      async onQueryStarted(_arg, { dispatch, queryFulfilled }) {
        const { data } = await queryFulfilled.catch(() => ({ data: null }));
        if (data) dispatch(tokensReceived(data));
      },
    }),
    logout: build.mutation<null, void>({
      async queryFn(_arg, { getState, dispatch }, _extra, baseQuery) {
        const { refreshToken } = (getState() as { auth: AuthState }).auth;
        if (refreshToken) await baseQuery({ url: "/auth/logout", method: "POST", body: { refreshToken } });
        dispatch(loggedOut());
        return { data: null };
      },
    }),
  }),
});

export const { useLoginMutation, useRegisterMutation, useLogoutMutation } = authApi;

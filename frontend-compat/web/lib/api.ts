// api.ts - the one RTK Query `createApi` of the app. Features add their endpoints with
// `api.injectEndpoints` (features/*/…Api.ts). The base query talks to the same origin's
// /v1/api, attaches the access token, and on a 401 refreshes the token pair ONCE (a shared
// promise is the mutex: parallel 401s wait for the same refresh) and retries the request; when
// the refresh itself is refused the session ends. Errors come back as `{ status, data }` where
// data is the server's `{ error: { code, message } }`; `errorText` turns them into words.
import {
  createApi,
  fetchBaseQuery,
  type BaseQueryFn,
  type FetchArgs,
  type FetchBaseQueryError,
} from "@reduxjs/toolkit/query/react";
import { loggedOut, tokensReceived, type AuthState } from "@/features/auth/authSlice";
import { noteServerDate } from "./clock";
import type { ApiError, TokenPair } from "./types";

let origin = "";
/** Unit tests under node have no page origin: they set one (fetch needs absolute URLs there). */
export function setApiOrigin(o: string) {
  origin = o;
}

const rawBaseQuery = fetchBaseQuery({
  baseUrl: "/v1/api",
  prepareHeaders(headers, { getState }) {
    const token = (getState() as { auth: AuthState }).auth.accessToken;
    if (token && !headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
    return headers;
  },
});

type Api = Parameters<BaseQueryFn>[1];

function withOrigin(args: string | FetchArgs): string | FetchArgs {
  if (!origin) return args;
  const url = typeof args === "string" ? args : args.url;
  const full = `${origin}/v1/api${url.startsWith("/") ? "" : "/"}${url}`;
  return typeof args === "string" ? full : { ...args, url: full };
}

/** The query a feature's endpoints use. Each answer's Date header keeps serverNow() right. */
export async function rawQuery(args: string | FetchArgs, api: Api, extra: object = {}) {
  const sentAt = Date.now();
  const res = await rawBaseQuery(withOrigin(args), api, extra);
  noteServerDate(res.meta?.response?.headers.get("date"), sentAt, Date.now());
  return res;
}

let refreshing: Promise<boolean> | null = null;

/**
 * Exchanges the refresh token for a new pair (once for any number of simultaneous callers).
 * Resolves true when the session has fresh tokens; false when it ended (logged out).
 */
export function refreshSession(api: Pick<Api, "dispatch" | "getState">): Promise<boolean> {
  if (!refreshing) {
    refreshing = (async () => {
      const refreshToken = (api.getState() as { auth: AuthState }).auth.refreshToken;
      if (!refreshToken) return false;
      const res = await rawBaseQuery(
        withOrigin({ url: "/auth/refresh", method: "POST", body: { refreshToken } }),
        {
          dispatch: api.dispatch,
          getState: api.getState,
          signal: new AbortController().signal,
          abort: () => undefined,
          extra: undefined,
          endpoint: "refresh",
          type: "mutation",
        },
        {},
      );
      if (res.data) {
        api.dispatch(tokensReceived(res.data as TokenPair));
        return true;
      }
      // a network failure keeps the session (the refresh token may still be good); a refusal ends it
      const status = res.error?.status;
      if (status === 401 || status === 400 || status === 404) api.dispatch(loggedOut());
      return false;
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

const AUTH_PATHS = ["/auth/login", "/auth/register", "/auth/refresh"];

export const baseQueryWithReauth: BaseQueryFn<string | FetchArgs, unknown, FetchBaseQueryError> = async (
  args,
  api,
  extra,
) => {
  let result = await rawQuery(args, api, extra ?? {});
  const url = typeof args === "string" ? args : args.url;
  if (result.error?.status === 401 && !AUTH_PATHS.includes(url)) {
    if (await refreshSession(api)) result = await rawQuery(args, api, extra ?? {});
  }
  return result;
};

export const api = createApi({
  reducerPath: "api",
  baseQuery: baseQueryWithReauth,
  tagTypes: ["Chats", "PublicChats", "ChatDetail", "Messages", "Users"],
  endpoints: () => ({}),
});

const WORDS: Record<string, string> = {
  FETCH_ERROR: "Cannot reach the server. Check your connection and try again.",
  TIMEOUT_ERROR: "The server took too long to answer. Try again.",
  PARSING_ERROR: "The server sent an answer the app cannot read.",
  timeout: "The server did not answer in time. Try again.",
  disconnected: "You are offline; it will be sent when the connection is back.",
  unauthorized: "Your session has ended. Log in again.",
  invalid_credentials: "Wrong username or password.",
  username_taken: "That username is already taken. Choose another one.",
  not_a_member: "You are not a member of this chat.",
  not_author: "You can only change your own messages.",
  not_found: "It no longer exists.",
  conflict: "That is already done.",
  internal: "The server had a problem. Try again.",
  unavailable: "The server is busy. Try again in a moment.",
  rate_limited: "Too many attempts. Wait a minute and try again.",
};

/** A server or network error in words a person understands (never a raw code). REST errors and
 * socket ack errors have the same shape: `{ status, data: { error: { code, message } } }`. */
export function errorText(err: unknown, fallback = "Something went wrong. Try again."): string {
  if (!err || typeof err !== "object") return fallback;
  const e = err as { status?: unknown; data?: unknown };
  const data = e.data as ApiError | undefined;
  if (data && typeof data === "object" && data.error && typeof data.error.code === "string") {
    return WORDS[data.error.code] ?? sentence(data.error.message) ?? fallback;
  }
  if (typeof e.status === "string" && WORDS[e.status]) return WORDS[e.status]!;
  if (e.status === 429) return WORDS.rate_limited!;
  if (typeof e.status === "number" && e.status >= 500) return WORDS.internal!;
  return fallback;
}

function sentence(s: string | undefined): string | undefined {
  if (!s) return undefined;
  const t = s.trim();
  return t.charAt(0).toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".");
}

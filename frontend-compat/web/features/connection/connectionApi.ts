// connectionApi.ts - the state of the /chat socket as a cache entry (the reconnect banner reads
// it). Its onCacheEntryAdded owns the socket's life-cycle events:
// - connect: send what is in the outbox; after a reconnect that did not recover the session
//   (server restart, or away longer than the recovery window) refetch the chats, the users and
//   the open histories (getMessages merges the newest page by seq);
// - connect_error `token_expired`: refresh the token pair once, then connect again (the socket's
//   auth callback reads the new token); a token the server refuses for good ends the session;
// - disconnect: show "reconnecting" while socket.io-client retries.
import { api, refreshSession } from "@/lib/api";
import { getSocket } from "@/lib/socket";
import { loggedOut } from "@/features/auth/authSlice";
import { flushOutbox } from "@/features/messages/messagesApi";

export type ConnectionState = "connecting" | "connected" | "reconnecting";

export interface ConnectionData {
  state: ConnectionState;
  /** connected at least once since the page loaded */
  everConnected: boolean;
  /** the last reconnect restored the session (no refetch was needed) */
  recovered: boolean;
}

export const connectionApi = api.injectEndpoints({
  endpoints: (build) => ({
    getConnection: build.query<ConnectionData, void>({
      queryFn: () => ({ data: { state: "connecting", everConnected: false, recovered: false } }),
      keepUnusedDataFor: 0,
      async onCacheEntryAdded(_arg, queryApi) {
        const { updateCachedData, cacheDataLoaded, cacheEntryRemoved, dispatch } = queryApi;
        await cacheDataLoaded;
        const socket = getSocket();
        let everConnected = false;
        let retry: ReturnType<typeof setTimeout> | undefined;
        const onConnect = () => {
          const again = everConnected;
          everConnected = true;
          updateCachedData((d) => {
            d.state = "connected";
            d.everConnected = true;
            d.recovered = socket.recovered;
          });
          if (again && !socket.recovered) dispatch(api.util.invalidateTags(["Chats", "Users", "Messages", "ChatDetail"]));
          void dispatch(flushOutbox());
        };
        const onDisconnect = () => updateCachedData((d) => void (d.state = everConnected ? "reconnecting" : "connecting"));
        const onConnectError = async (err?: Error & { data?: { code?: string } }) => {
          onDisconnect();
          if (socket.active) return; // socket.io-client retries by itself (transport errors)
          const code = err?.data?.code;
          clearTimeout(retry);
          if (code === "token_expired" || code === "token_missing") {
            if (await refreshSession(queryApi)) socket.connect();
          } else if (code === "token_invalid" || code === "user_not_found") {
            dispatch(loggedOut());
          } else {
            retry = setTimeout(() => socket.connect(), 2000);
          }
        };
        if (socket.connected) onConnect();
        socket.on("connect", onConnect);
        socket.on("disconnect", onDisconnect);
        socket.on("connect_error", onConnectError as () => void);
        await cacheEntryRemoved;
        clearTimeout(retry);
        socket.off("connect", onConnect);
        socket.off("disconnect", onDisconnect);
        socket.off("connect_error", onConnectError as () => void);
      },
    }),
  }),
});

export const { useGetConnectionQuery } = connectionApi;

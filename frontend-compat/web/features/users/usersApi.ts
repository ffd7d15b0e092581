// usersApi.ts - everyone the person can chat with, with live presence. getUsers reads every page
// of GET /users once, then follows `presence:update` (status dots; a user never seen before is
// fetched and added) and `user:updated` (display name, name colour) from the socket.
import { api, rawQuery } from "@/lib/api";
import { getSocket } from "@/lib/socket";
import type { PresenceUpdateEvent, User, UserUpdatedEvent, UsersPage } from "@/lib/types";
import { userUpdated } from "@/features/auth/authSlice";

export type UsersById = Record<number, User>;

export const usersApi = api.injectEndpoints({
  endpoints: (build) => ({
    getUsers: build.query<UsersById, void>({
      async queryFn(_arg, queryApi) {
        const byId: UsersById = {};
        let after = 0;
        for (let page = 0; page < 100; page++) {
          const res = await rawQuery(`/users?limit=100${after ? `&after=${after}` : ""}`, queryApi);
          if (res.error) return { error: res.error };
          const data = res.data as UsersPage;
          for (const u of data.users) byId[u.id] = u;
          if (data.nextAfter === null || data.users.length === 0) break;
          after = data.nextAfter;
        }
        return { data: byId };
      },
      providesTags: ["Users"],
      async onCacheEntryAdded(_arg, { updateCachedData, cacheDataLoaded, cacheEntryRemoved, dispatch }) {
        const socket = getSocket();
        const onPresence = (e: PresenceUpdateEvent) => {
          let known = true;
          updateCachedData((draft) => {
            const u = draft[e.userId];
            if (!u) known = false;
            else {
              u.status = e.status;
              u.online = e.status !== "offline";
            }
          });
          if (!known) void dispatch(usersApi.endpoints.getUser.initiate(e.userId, { subscribe: false }));
        };
        const onUser = (e: UserUpdatedEvent) => {
          updateCachedData((draft) => {
            const old = draft[e.user.id];
            draft[e.user.id] = { ...old, ...e.user };
          });
          dispatch(userUpdated(e.user));
        };
        try {
          await cacheDataLoaded;
          socket.on("presence:update", onPresence);
          socket.on("user:updated", onUser);
        } catch {
          return;
        }
        await cacheEntryRemoved;
        socket.off("presence:update", onPresence);
        socket.off("user:updated", onUser);
      },
    }),
    getUser: build.query<User, number>({
      query: (id) => `/users/${id}`,
      async onQueryStarted(_id, { dispatch, queryFulfilled }) {
        const { data } = await queryFulfilled.catch(() => ({ data: null }));
        if (data) dispatch(usersApi.util.updateQueryData("getUsers", undefined, (draft) => void (draft[data.id] = data)));
      },
    }),
  }),
});

export const { useGetUsersQuery } = usersApi;

/** The name to show for a user id (display name, else username, else a placeholder). */
export function displayName(users: UsersById | undefined, id: number): string {
  const u = users?.[id];
  return u ? u.displayName || u.username : "Someone";
}

// profileApi.ts - the person's own profile: display name and name colour (PATCH /users/me). The
// answer updates the session's user and the users cache at once; other people get the change by
// the `user:updated` event (usersApi.ts).
import { api } from "@/lib/api";
import type { ProfileUpdate, User } from "@/lib/types";
import { userUpdated } from "@/features/auth/authSlice";
import { usersApi } from "@/features/users/usersApi";

export const NAME_COLORS = ["#1f6feb", "#0a7d53", "#b35900", "#c0245c", "#7a3fd1", "#0b7a8a", "#8a6a00", "#5a6472"];

export const profileApi = api.injectEndpoints({
  endpoints: (build) => ({
    updateProfile: build.mutation<User, ProfileUpdate>({
      query: (body) => ({ url: "/users/me", method: "PATCH", body }),
      async onQueryStarted(_arg, { dispatch, queryFulfilled }) {
        const res = await queryFulfilled.catch(() => null);
        if (!res) return;
        dispatch(userUpdated(res.data));
        dispatch(usersApi.util.updateQueryData("getUsers", undefined, (d) => void (d[res.data.id] = res.data)));
      },
    }),
  }),
});

export const { useUpdateProfileMutation } = profileApi;

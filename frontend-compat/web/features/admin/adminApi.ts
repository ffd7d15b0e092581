// adminApi.ts - the admin's desk endpoints (docs/desk.md): staff users (create, role,
// deactivate/reactivate, password reset: nothing is ever deleted), the dashboard figures for a
// period, the service list with filters and cursor pages, and the outside channels card
// (GET/PATCH /desk/channels; a 404 means none is configured).
import { api } from "@/lib/api";
import type { DeskChannel, DeskRole, DeskStats, DeskUser, DeskUsersPage, PasswordReset, ServicesPage } from "@/lib/types";

export interface ServiceFilters {
  status?: "open" | "finished" | "";
  attendantId?: string;
  channel?: string;
  from?: number;
  to?: number;
  cursor?: number | null;
}

/** The query string of a service list request (empty filters left out). */
export function servicesQuery(f: ServiceFilters, limit = 20): string {
  const q = new URLSearchParams();
  if (f.status) q.set("status", f.status);
  if (f.attendantId) q.set("attendantId", f.attendantId);
  if (f.channel) q.set("channel", f.channel);
  if (f.from) q.set("from", String(f.from));
  if (f.to) q.set("to", String(f.to));
  if (f.cursor) q.set("cursor", String(f.cursor));
  q.set("limit", String(limit));
  return q.toString();
}

const admin = api.enhanceEndpoints({ addTagTypes: ["DeskUsers", "DeskStats", "DeskServices", "DeskChannels", "DeskAttendants"] });

export const adminApi = admin.injectEndpoints({
  endpoints: (build) => ({
    getDeskUsers: build.query<DeskUser[], void>({
      async queryFn(_a, _api, _e, baseQuery) {
        const all: DeskUser[] = [];
        let cursor: number | null = null;
        for (let i = 0; i < 20; i++) {
          const r = await baseQuery(`/desk/users?limit=100${cursor ? `&cursor=${cursor}` : ""}`);
          if (r.error) return { error: r.error };
          const p = r.data as DeskUsersPage;
          all.push(...p.users);
          cursor = p.nextCursor;
          if (cursor === null) break;
        }
        return { data: all };
      },
      providesTags: ["DeskUsers"],
    }),
    createDeskUser: build.mutation<{ user: DeskUser }, { username: string; password: string; displayName?: string; role: DeskRole }>({
      query: (body) => ({ url: "/desk/users", method: "POST", body }),
      invalidatesTags: ["DeskUsers", "DeskAttendants"],
    }),
    updateDeskUser: build.mutation<{ user: DeskUser }, { id: number; role?: DeskRole; active?: boolean; displayName?: string }>({
      query: ({ id, ...body }) => ({ url: `/desk/users/${id}`, method: "PATCH", body }),
      invalidatesTags: ["DeskUsers", "DeskAttendants"],
    }),
    resetDeskPassword: build.mutation<PasswordReset, number>({
      query: (id) => ({ url: `/desk/users/${id}/password-reset`, method: "POST" }),
    }),
    getStats: build.query<DeskStats, { from: number; to: number }>({
      query: ({ from, to }) => `/desk/stats?from=${from}&to=${to}`,
      providesTags: ["DeskStats"],
    }),
    getServices: build.query<ServicesPage, ServiceFilters>({
      query: (f) => `/desk/services?${servicesQuery(f)}`,
      providesTags: ["DeskServices"],
    }),
    getChannels: build.query<{ channels: DeskChannel[]; configured: boolean }, void>({
      async queryFn(_a, _api, _e, baseQuery) {
        const r = await baseQuery("/desk/channels");
        if (r.error?.status === 404) return { data: { channels: [], configured: false } };
        if (r.error) return { error: r.error };
        // a channel sioc runs without (no --whatsapp-phone-number-id) is listed as configured: false
        const channels = ((r.data as { channels?: DeskChannel[] }).channels ?? []).filter((c) => c.configured !== false);
        return { data: { channels, configured: channels.length > 0 } };
      },
      providesTags: ["DeskChannels"],
    }),
    setChannelEnabled: build.mutation<unknown, { id: string; enabled: boolean }>({
      query: ({ id, enabled }) => ({ url: `/desk/channels/${encodeURIComponent(id)}`, method: "PATCH", body: { enabled } }),
      invalidatesTags: ["DeskChannels"],
    }),
  }),
});

export const {
  useGetDeskUsersQuery,
  useCreateDeskUserMutation,
  useUpdateDeskUserMutation,
  useResetDeskPasswordMutation,
  useGetStatsQuery,
  useGetServicesQuery,
  useGetChannelsQuery,
  useSetChannelEnabledMutation,
} = adminApi;

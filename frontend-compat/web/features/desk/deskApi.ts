// deskApi.ts - the support desk's data (docs/desk.md), injected into the one createApi:
// - getInbox: the open services the caller sees (attendants: the queue and their own; admins:
//   all), kept live from /desk (service:new/assigned/updated/finished, message:new; a channel's
//   failed delivery, message:status failed, with its error into deskSlice);
// - getService(id): one service with every message, live (message:new, message:status, service
//   events); getAttendants: the active staff (Transfer);
// - take, finish, assign (REST); answers go through the desk outbox (deskSlice) and /desk
//   `message:send` with ack; message:read and typing over the socket;
// - getDeskConnection: the socket's life cycle (refresh on token_expired, refetch after a
//   reconnect, outbox flush on connect).
// Components never touch the socket.
import type { ThunkAction, UnknownAction } from "@reduxjs/toolkit";
import { api, errorText, refreshSession } from "@/lib/api";
import { newClientMsgId } from "@/lib/ids";
import { outboxFlusher } from "@/lib/outbox";
import { followEvents } from "@/lib/live";
import type { AttendantsPage, DeskMessage, DeskStatusEvent, DeskUser, Service, ServiceDetail, ServicesPage } from "@/lib/types";
import { loggedOut, type AuthState } from "@/features/auth/authSlice";
import { deskAck, getDeskSocket } from "./deskSocket";
import { deliveryFailed, deskDelivered, deskFailed, deskQueued, messageArrived, serviceGone, type DeskOutboxItem, type DeskState } from "./deskSlice";
import { applyStatusEvent, inInbox, removeService, sendErrorText, upsertDeskMessage, upsertService } from "./logic";
import { deliveryError } from "./whatsapp";

const hidden = () => typeof document !== "undefined" && document.hidden;

function meOf(getState: () => unknown) {
  const u = (getState() as { auth: AuthState }).auth.user;
  return { id: u?.id ?? 0, admin: u?.role === "admin" };
}

const desk = api.enhanceEndpoints({ addTagTypes: ["DeskInbox", "DeskService", "DeskAttendants"] });

export const deskApi = desk.injectEndpoints({
  endpoints: (build) => ({
    getInbox: build.query<Service[], void>({
      async queryFn(_arg, _api, _extra, baseQuery) {
        const all: Service[] = [];
        let cursor: number | null = null;
        for (let page = 0; page < 10; page++) {
          const res = await baseQuery(`/desk/services?status=open&limit=100${cursor ? `&cursor=${cursor}` : ""}`);
          if (res.error) return { error: res.error };
          const p = res.data as ServicesPage;
          all.push(...p.services);
          cursor = p.nextCursor;
          if (cursor === null) break;
        }
        const list: Service[] = [];
        for (const s of all) upsertService(list, s);
        return { data: list };
      },
      providesTags: ["DeskInbox"],
      async onCacheEntryAdded(_arg, { updateCachedData, cacheDataLoaded, cacheEntryRemoved, dispatch, getState }) {
        const socket = getDeskSocket();
        const apply = ({ service }: { service: Service }) => {
          const keep = inInbox(service, meOf(getState));
          updateCachedData((d) => (keep ? upsertService(d, service) : removeService(d, service.id)));
          if (!keep) dispatch(serviceGone(service.id));
        };
        const onMessage = (e: { message: DeskMessage; service: Service }) => {
          apply(e);
          dispatch(messageArrived({ message: e.message, hidden: hidden() }));
        };
        const onFailed = (e: DeskStatusEvent) => {
          if (e.state !== "failed") return;
          const text = e.error?.message || "The channel could not deliver it.";
          dispatch(deliveryFailed({ serviceId: e.serviceId, messageId: e.messageId, error: text, closesWindow: deliveryError(text).closesWindow }));
        };
        const events = {
          "service:new": apply,
          "service:assigned": apply,
          "service:updated": apply,
          "service:finished": apply,
          "message:new": onMessage,
          "message:status": onFailed,
        };
        await followEvents(socket, events, cacheDataLoaded, cacheEntryRemoved);
      },
    }),
    getService: build.query<ServiceDetail, number>({
      query: (id) => `/desk/services/${id}`,
      providesTags: (_r, _e, id) => [{ type: "DeskService", id }],
      async onCacheEntryAdded(id, { updateCachedData, cacheDataLoaded, cacheEntryRemoved }) {
        const socket = getDeskSocket();
        const onService = ({ service }: { service: Service }) => {
          if (service.id === id) updateCachedData((d) => void (d.service = service));
        };
        const onMessage = (e: { serviceId: number; message: DeskMessage; service: Service }) => {
          if (e.serviceId !== id) return;
          updateCachedData((d) => {
            upsertDeskMessage(d.messages, e.message);
            d.service = e.service;
          });
        };
        const onStatus = (e: DeskStatusEvent) => {
          if (e.serviceId === id) updateCachedData((d) => applyStatusEvent(d.messages, e));
        };
        const events = {
          "service:assigned": onService,
          "service:updated": onService,
          "service:finished": onService,
          "message:new": onMessage,
          "message:status": onStatus,
        };
        await followEvents(socket, events, cacheDataLoaded, cacheEntryRemoved);
      },
    }),
    getAttendants: build.query<DeskUser[], void>({
      query: () => "/desk/attendants?limit=100",
      transformResponse: (r: AttendantsPage) => r.attendants,
      providesTags: ["DeskAttendants"],
    }),
    take: build.mutation<{ service: Service }, number>({
      query: (id) => ({ url: `/desk/services/${id}/take`, method: "POST" }),
      onQueryStarted: applyService,
    }),
    finish: build.mutation<{ service: Service }, number>({
      query: (id) => ({ url: `/desk/services/${id}/finish`, method: "POST" }),
      onQueryStarted: applyService,
    }),
    assign: build.mutation<{ service: Service }, { id: number; attendantId: number }>({
      query: ({ id, attendantId }) => ({ url: `/desk/services/${id}/assign`, method: "POST", body: { attendantId } }),
      onQueryStarted: ({ id }, lifecycle) => applyService(id, lifecycle),
    }),
    sendDeskMessage: build.mutation<{ message: DeskMessage; service: Service; duplicate: boolean }, { serviceId: number; body: string; clientMsgId: string }>({
      queryFn: (arg) => deskAck("message:send", arg),
      async onQueryStarted(item, { dispatch, queryFulfilled }) {
        try {
          const { data } = await queryFulfilled;
          dispatch(
            deskApi.util.updateQueryData("getService", item.serviceId, (d) => {
              upsertDeskMessage(d.messages, data.message);
              d.service = data.service;
            }),
          );
          dispatch(deskDelivered(item.clientMsgId));
        } catch (e) {
          const err = (e as { error?: { data?: { error?: { code?: string } } } }).error;
          const code = err?.data?.error?.code;
          if (code !== "timeout" && code !== "disconnected") {
            dispatch(deskFailed({ clientMsgId: item.clientMsgId, error: sendErrorText(code, errorText(err)), code }));
          }
        }
      },
    }),
    deskMarkRead: build.mutation<{ upToSeq: number }, { serviceId: number; seq: number }>({
      queryFn: (arg) => deskAck("message:read", arg, 3000),
    }),
    setDeskTyping: build.mutation<Record<string, never>, { serviceId: number; typing: boolean }>({
      queryFn: (arg) => deskAck("typing", arg, 3000),
    }),
    /** Whether the customer of `serviceId` is typing (kept 6 s after the last event at most). */
    getCustomerTyping: build.query<{ typing: boolean; until: number }, number>({
      queryFn: () => ({ data: { typing: false, until: 0 } }),
      async onCacheEntryAdded(id, { updateCachedData, cacheDataLoaded, cacheEntryRemoved }) {
        await cacheDataLoaded;
        const socket = getDeskSocket();
        const onTyping = (e: { serviceId: number; from: string; typing: boolean }) => {
          if (e.serviceId === id && e.from === "customer") updateCachedData(() => ({ typing: e.typing, until: Date.now() + 6000 }));
        };
        const onMessage = (e: { serviceId: number; message: DeskMessage }) => {
          if (e.serviceId === id && e.message.direction === "in") updateCachedData(() => ({ typing: false, until: 0 }));
        };
        const prune = setInterval(() => updateCachedData((d) => (d.typing && d.until < Date.now() ? { typing: false, until: 0 } : d)), 1000);
        socket.on("typing", onTyping);
        socket.on("message:new", onMessage);
        await cacheEntryRemoved;
        clearInterval(prune);
        socket.off("typing", onTyping);
        socket.off("message:new", onMessage);
      },
    }),
    getDeskConnection: build.query<{ state: "connecting" | "connected" | "reconnecting"; error: string | null }, void>({
      queryFn: () => ({ data: { state: "connecting", error: null } }),
      keepUnusedDataFor: 0,
      async onCacheEntryAdded(_arg, queryApi) {
        const { updateCachedData, cacheDataLoaded, cacheEntryRemoved, dispatch } = queryApi;
        await cacheDataLoaded;
        const socket = getDeskSocket();
        let ever = false;
        let retry: ReturnType<typeof setTimeout> | undefined;
        const onConnect = () => {
          // events before this connect were missed (also the first: the lists may have been
          // fetched before the socket joined its rooms): fetch again
          dispatch(desk.util.invalidateTags(["DeskInbox", "DeskService"]));
          ever = true;
          updateCachedData(() => ({ state: "connected", error: null }));
          void dispatch(flushDeskOutbox());
        };
        const onDisconnect = () => updateCachedData((d) => void (d.state = ever ? "reconnecting" : "connecting"));
        const onConnectError = async (err?: Error & { data?: { code?: string } }) => {
          onDisconnect();
          if (socket.active) return;
          const code = err?.data?.code;
          clearTimeout(retry);
          if (code === "token_expired" || code === "token_missing") {
            if (await refreshSession(queryApi)) socket.connect();
          } else if (code === "token_invalid" || code === "account_disabled") {
            dispatch(loggedOut());
          } else if (code === "not_staff") {
            updateCachedData((d) => void (d.error = "not_staff"));
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

/** A take / finish / assign answer: the service goes into the inbox and the detail. */
async function applyService(
  id: number,
  { dispatch, queryFulfilled, getState }: { dispatch: (a: unknown) => unknown; queryFulfilled: Promise<{ data: { service: Service } }>; getState: () => unknown },
) {
  const res = await queryFulfilled.catch(() => null);
  if (!res) return;
  const s = res.data.service;
  const keep = inInbox(s, meOf(getState));
  dispatch(deskApi.util.updateQueryData("getInbox", undefined, (d) => (keep ? upsertService(d, s) : removeService(d, s.id))));
  dispatch(deskApi.util.updateQueryData("getService", id, (d) => void (d.service = s)));
}

type Thunk<R = void> = ThunkAction<R, { desk: DeskState }, unknown, UnknownAction>;

/** Sends the pending answers, oldest first, one at a time (acks keep the order). */
export const flushDeskOutbox = outboxFlusher<{ desk: DeskState }, DeskOutboxItem>({
  connected: () => getDeskSocket().connected,
  items: (s) => s.desk.outbox,
  send: (dispatch, i) => dispatch(deskApi.endpoints.sendDeskMessage.initiate({ serviceId: i.serviceId, body: i.body, clientMsgId: i.clientMsgId })),
});

/** The composer's send: queued with a fresh clientMsgId, then sent when connected. */
export function sendDeskAnswer(serviceId: number, body: string): Thunk<string> {
  return (dispatch) => {
    const clientMsgId = newClientMsgId();
    dispatch(deskQueued({ clientMsgId, serviceId, body, createdAt: Date.now() }));
    void dispatch(flushDeskOutbox());
    return clientMsgId;
  };
}

export const {
  useGetInboxQuery,
  useGetServiceQuery,
  useGetAttendantsQuery,
  useTakeMutation,
  useFinishMutation,
  useAssignMutation,
  useDeskMarkReadMutation,
  useSetDeskTypingMutation,
  useGetCustomerTypingQuery,
  useGetDeskConnectionQuery,
} = deskApi;

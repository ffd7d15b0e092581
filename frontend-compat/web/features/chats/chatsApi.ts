// chatsApi.ts - the person's chats (channels, groups, 1:1) and the operations on them. getChats is
// the sidebar's list; its cache entry follows the socket: chat:created/updated/removed/deleted,
// member joins and leaves (the person's own leave removes the chat), message:new (last seq,
// unread badge unless the chat is open) and the person's own message:read (from any tab).
// getChatDetail holds a chat's members and each member's read position ("Seen by").
import { api } from "@/lib/api";
import { followEvents } from "@/lib/live";
import { getSocket } from "@/lib/socket";
import type {
  Chat,
  ChatDeletedEvent,
  ChatDetail,
  ChatEvent,
  ChatIdEvent,
  ChatsResponse,
  ChatType,
  GroupCreate,
  GroupUpdate,
  MemberEvent,
  Message,
  PublicChatCreate,
  ReadEvent,
} from "@/lib/types";
import type { AuthState } from "@/features/auth/authSlice";

type State = { auth: AuthState; openChat: { chatId: number | null } };

/** Puts `chat` into the list (replacing the entry with its id), keeping local read state. */
export function upsertChat(list: Chat[], chat: Chat) {
  const i = list.findIndex((c) => c.id === chat.id);
  if (i < 0) list.push(chat);
  else list[i] = { ...list[i], ...chat };
}

export interface ChatDetailData extends ChatDetail {
  /** userId -> the seq up to which that member has read */
  reads: Record<number, number>;
}

export const chatsApi = api.injectEndpoints({
  endpoints: (build) => ({
    getChats: build.query<Chat[], void>({
      query: () => "/chats",
      transformResponse: (r: ChatsResponse) => r.chats,
      providesTags: ["Chats"],
      async onCacheEntryAdded(_arg, { updateCachedData, cacheDataLoaded, cacheEntryRemoved, getState }) {
        const socket = getSocket();
        const me = () => (getState() as unknown as State).auth.user?.id;
        const remove = (chatId: number) => updateCachedData((d) => d.filter((c) => c.id !== chatId));
        const onCreated = (e: ChatEvent) => updateCachedData((d) => upsertChat(d, e.chat));
        const onUpdated = (e: ChatEvent) =>
          updateCachedData((d) => {
            const c = d.find((x) => x.id === e.chat.id);
            if (c) Object.assign(c, { name: e.chat.name, topic: e.chat.topic, memberCount: e.chat.memberCount });
          });
        const onRemoved = (e: ChatIdEvent | ChatDeletedEvent) => remove(e.chatId);
        const onMemberGone = (e: MemberEvent) => {
          if (e.userId === me()) return remove(e.chatId);
          updateCachedData((d) => {
            const c = d.find((x) => x.id === e.chatId);
            if (c) c.memberCount = Math.max(0, c.memberCount - 1);
          });
        };
        const onMemberCame = (e: MemberEvent) =>
          updateCachedData((d) => {
            const c = d.find((x) => x.id === e.chatId);
            if (c && e.userId !== me()) c.memberCount += 1;
          });
        const onMessage = (m: Message) =>
          updateCachedData((d) => {
            const c = d.find((x) => x.id === m.chatId);
            if (!c || (c.lastSeq ?? 0) >= m.seq) return;
            c.lastSeq = m.seq;
            c.lastMessageAt = m.createdAt;
            const open = (getState() as unknown as State).openChat.chatId === m.chatId;
            if (m.authorId === me() || open) return;
            c.unread = (c.unread ?? 0) + 1;
          });
        const onRead = (e: ReadEvent) => {
          if (e.userId !== me()) return;
          updateCachedData((d) => {
            const c = d.find((x) => x.id === e.chatId);
            if (c) markChatRead(c, e.seq);
          });
        };
        // not followEvents: the member counts here are increments, which an event the first
        // page already reflects would apply twice
        try {
          await cacheDataLoaded;
        } catch {
          return;
        }
        const subs: [string, (e: never) => void][] = [
          ["chat:created", onCreated],
          ["chat:updated", onUpdated],
          ["chat:removed", onRemoved],
          ["chat:deleted", onRemoved],
          ["chat:member_left", onMemberGone],
          ["chat:member_removed", onMemberGone],
          ["chat:member_joined", onMemberCame],
          ["chat:member_added", onMemberCame],
          ["message:new", onMessage],
          ["message:read", onRead],
        ];
        for (const [ev, fn] of subs) socket.on(ev as "ready", fn as never);
        await cacheEntryRemoved;
        for (const [ev, fn] of subs) socket.off(ev, fn);
      },
    }),
    getPublicChats: build.query<Chat[], void>({
      query: () => "/chats/public",
      transformResponse: (r: ChatsResponse) => r.chats,
      providesTags: ["PublicChats"],
    }),
    createChannel: build.mutation<Chat, PublicChatCreate>({
      query: (body) => ({ url: "/chats/public", method: "POST", body }),
      invalidatesTags: ["PublicChats"],
      onQueryStarted: addToList,
    }),
    joinChannel: build.mutation<Chat, number>({
      query: (id) => ({ url: `/chats/public/${id}/join`, method: "POST" }),
      invalidatesTags: ["PublicChats"],
      onQueryStarted: addToList,
    }),
    leaveChannel: build.mutation<null, number>({
      query: (id) => ({ url: `/chats/public/${id}/leave`, method: "POST" }),
      invalidatesTags: ["PublicChats"],
      async onQueryStarted(id, { dispatch, queryFulfilled }) {
        if (await queryFulfilled.then(() => true, () => false)) {
          dispatch(chatsApi.util.updateQueryData("getChats", undefined, (d) => d.filter((c) => c.id !== id)));
        }
      },
    }),
    openPrivate: build.mutation<Chat, number>({
      query: (userId) => ({ url: "/chats/private", method: "POST", body: { userId } }),
      onQueryStarted: addToList,
    }),
    createGroup: build.mutation<Chat, GroupCreate>({
      query: (body) => ({ url: "/chats/group", method: "POST", body }),
      onQueryStarted: addToList,
    }),
    updateGroup: build.mutation<ChatDetail, { id: number } & GroupUpdate>({
      query: ({ id, ...body }) => ({ url: `/chats/group/${id}`, method: "PUT", body }),
      invalidatesTags: (_r, _e, { id }) => [{ type: "ChatDetail", id }],
      onQueryStarted: addToList,
    }),
    getChatDetail: build.query<ChatDetailData, { id: number; type: ChatType }>({
      query: ({ id, type }) => `/chats/${type}/${id}`,
      transformResponse: (r: ChatDetail) => ({
        ...r,
        reads: Object.fromEntries((r.members ?? []).map((m) => [m.id, m.lastReadSeq ?? 0])),
      }),
      providesTags: (_r, _e, { id }) => [{ type: "ChatDetail", id }],
      async onCacheEntryAdded({ id }, { updateCachedData, cacheDataLoaded, cacheEntryRemoved, dispatch }) {
        const socket = getSocket();
        const onRead = (e: ReadEvent) => {
          if (e.chatId !== id) return;
          updateCachedData((d) => {
            d.reads[e.userId] = Math.max(d.reads[e.userId] ?? 0, e.seq);
          });
        };
        const onMembers = (e: MemberEvent | ChatEvent) => {
          const chatId = "chat" in e ? e.chat.id : e.chatId;
          if (chatId === id) dispatch(api.util.invalidateTags([{ type: "ChatDetail", id }]));
        };
        const events = {
          "message:read": onRead,
          ...Object.fromEntries(["chat:member_added", "chat:member_removed", "chat:member_joined", "chat:member_left", "chat:updated"].map((ev) => [ev, onMembers])),
        };
        await followEvents(socket, events, cacheDataLoaded, cacheEntryRemoved);
      },
    }),
  }),
});

/** The person read `chat` up to `seq`: move its read position and recount its unread badge. */
export function markChatRead(c: Chat, seq: number) {
  if ((c.lastReadSeq ?? 0) >= seq) return;
  c.lastReadSeq = seq;
  const last = c.lastSeq ?? 0;
  c.unread = seq >= last ? 0 : Math.min(c.unread ?? 0, last - seq);
}

async function addToList(
  _arg: unknown,
  { dispatch, queryFulfilled }: { dispatch: (a: unknown) => unknown; queryFulfilled: Promise<{ data: Chat }> },
) {
  const res = await queryFulfilled.catch(() => null);
  if (!res) return;
  const chat = res.data;
  dispatch(chatsApi.util.updateQueryData("getChats", undefined, (d) => upsertChat(d, chat)));
  // sockets are put in the chat's room by the server; this makes it sure for the chat just made
  const s = getSocket();
  if (s.connected) void s.timeout(5000).emitWithAck("chat:join", { chatId: chat.id }).catch(() => undefined);
}

export const {
  useGetChatsQuery,
  useGetPublicChatsQuery,
  useCreateChannelMutation,
  useJoinChannelMutation,
  useLeaveChannelMutation,
  useOpenPrivateMutation,
  useCreateGroupMutation,
  useUpdateGroupMutation,
  useGetChatDetailQuery,
} = chatsApi;

/** The other person of a private chat (undefined for channels and groups). */
export function peerOf(chat: Chat, meId?: number): number | undefined {
  if (chat.type !== "private") return undefined;
  return chat.peerId ?? chat.userIds?.find((u) => u !== meId);
}

/** The name of a chat as the sidebar shows it: #channel, the group's name, or the other person. */
export function chatTitle(chat: Chat, nameOf: (userId: number) => string, meId?: number): string {
  if (chat.type === "public") return `#${chat.name}`;
  if (chat.type === "group") return chat.name;
  const peer = peerOf(chat, meId);
  return peer ? nameOf(peer) : "Private chat";
}

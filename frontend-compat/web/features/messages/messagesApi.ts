// messagesApi.ts - one chat's history and everything done to messages. getMessages(chatId) holds
// the loaded messages in seq order: the newest REST page first, older pages prepended by
// loadOlder (cursor `before` = `nextBefore`), live changes from the socket (new, edited, deleted,
// reactions) applied with updateCachedData, and a refetch (after a reconnect that could not
// recover) merged by seq. Sends, edits, deletes, reactions, read positions and typing go over the
// socket (queryFn + emitWithAck). Unacknowledged sends live in the outbox (outboxSlice.ts):
// `sendChatMessage` queues one, `flushOutbox` sends what is pending, in order, when connected.
import type { ThunkAction, UnknownAction } from "@reduxjs/toolkit";
import { api, errorText, rawQuery } from "@/lib/api";
import { followEvents } from "@/lib/live";
import { ackQuery, getSocket } from "@/lib/socket";
import { newClientMsgId } from "@/lib/ids";
import { outboxFlusher } from "@/lib/outbox";
import type { Attachment, Message, MessagesPage, ReactionEvent, SearchResponse, TypingEvent } from "@/lib/types";
import type { AuthState } from "@/features/auth/authSlice";
import { chatsApi, markChatRead } from "@/features/chats/chatsApi";
import { delivered, failed, queued, type OutboxItem, type OutboxState } from "./outboxSlice";

export const PAGE = 50;

export interface MessagesData {
  messages: Message[];
  /** cursor for the next older page; null when the oldest message is loaded */
  nextBefore: number | null;
}

/** Inserts or replaces `m` (by id) keeping the list in seq order (chat and desk messages). */
export function upsertMessage<T extends { id: number; seq: number }>(list: T[], m: T) {
  const i = list.findIndex((x) => x.id === m.id);
  if (i >= 0) {
    list[i] = { ...list[i], ...m };
    return;
  }
  let at = list.length;
  while (at > 0 && list[at - 1]!.seq > m.seq) at--;
  list.splice(at, 0, m);
}

/** Adds an older page (seq order) in front of `list`. The page normally ends before the first
 * cached message: then it is one splice, without looking at the cached messages (on a history of
 * thousands, a per-message search through the draft is what made scrolling back stutter). An
 * overlapping page (messages arrived in between) goes through upsertMessage. */
export function prependOlder(list: Message[], page: Message[]) {
  const firstSeq = list.length ? list[0]!.seq : Infinity;
  const older = page.filter((m) => m.seq < firstSeq);
  list.unshift(...older);
  if (older.length < page.length) for (const m of page) if (m.seq >= firstSeq) upsertMessage(list, m);
}

/** Merges a freshly fetched newest page into what is cached. If the page does not reach back to
 * what is cached (more was missed than one page), the cache restarts from the page. */
export function mergeNewest(current: MessagesData, incoming: MessagesData): MessagesData {
  const cur = current.messages;
  const inc = incoming.messages;
  if (cur.length === 0 || inc.length === 0) return inc.length ? incoming : current;
  const newestCached = cur[cur.length - 1]!.seq;
  if (inc[0]!.seq > newestCached + 1) return incoming;
  const out = cur.slice();
  for (const m of inc) upsertMessage(out, m);
  return { messages: out, nextBefore: current.nextBefore };
}

/** Applies a reaction event (idempotent: the ack and the broadcast may both arrive). */
export function applyReaction(m: Message, e: ReactionEvent, added: boolean) {
  const list = (m.reactions ??= []);
  let r = list.find((x) => x.emoji === e.emoji);
  if (added) {
    if (!r) list.push((r = { emoji: e.emoji, count: 0, userIds: [] }));
    if (!r.userIds.includes(e.userId)) {
      r.userIds.push(e.userId);
      r.count = r.userIds.length;
    }
  } else if (r && r.userIds.includes(e.userId)) {
    r.userIds = r.userIds.filter((u) => u !== e.userId);
    r.count = r.userIds.length;
    if (r.count === 0) m.reactions = list.filter((x) => x !== r);
  }
}

function byAscendingSeq(page: MessagesPage): MessagesData {
  return { messages: page.messages.slice().sort((a, b) => a.seq - b.seq), nextBefore: page.nextBefore };
}

export type TypingData = Record<number, { name: string; until: number }>;
const TYPING_TTL_MS = 6000;

export const messagesApi = api.injectEndpoints({
  endpoints: (build) => ({
    getMessages: build.query<MessagesData, number>({
      query: (chatId) => `/chats/${chatId}/messages?limit=${PAGE}`,
      transformResponse: byAscendingSeq,
      merge: (current, incoming) => mergeNewest(current, incoming),
      providesTags: (_r, _e, chatId) => [{ type: "Messages", id: chatId }, "Messages"],
      async onCacheEntryAdded(chatId, { updateCachedData, cacheDataLoaded, cacheEntryRemoved, dispatch }) {
        const socket = getSocket();
        const onMessage = (m: Message) => {
          if (m.chatId !== chatId) return;
          updateCachedData((d) => upsertMessage(d.messages, m));
          if (m.clientMsgId) dispatch(delivered(m.clientMsgId));
        };
        const onReaction = (added: boolean) => (e: ReactionEvent) => {
          if (e.chatId !== chatId) return;
          updateCachedData((d) => {
            const m = d.messages.find((x) => x.id === e.messageId);
            if (m) applyReaction(m, e, added);
          });
        };
        const events = {
          "message:new": onMessage,
          "message:edited": onMessage,
          "message:deleted": onMessage,
          "reaction:added": onReaction(true),
          "reaction:removed": onReaction(false),
        };
        await followEvents(socket, events, cacheDataLoaded, cacheEntryRemoved);
      },
    }),
    loadOlder: build.mutation<MessagesData, { chatId: number; before: number }>({
      async queryFn({ chatId, before }, queryApi) {
        const res = await rawQuery(`/chats/${chatId}/messages?limit=${PAGE}&before=${before}`, queryApi);
        if (res.error) return { error: res.error };
        const page = byAscendingSeq(res.data as MessagesPage);
        queryApi.dispatch(
          messagesApi.util.updateQueryData("getMessages", chatId, (d) => {
            prependOlder(d.messages, page.messages);
            d.nextBefore = page.nextBefore;
          }),
        );
        return { data: page };
      },
    }),
    sendMessage: build.mutation<{ message: Message; duplicate: boolean }, OutboxItem>({
      queryFn: ({ chatId, body, clientMsgId, attachments }) =>
        ackQuery("message:send", {
          chatId,
          body,
          clientMsgId,
          ...(attachments?.length ? { attachmentIds: attachments.map((a) => a.id) } : {}),
        }),
      async onQueryStarted(item, { dispatch, queryFulfilled }) {
        try {
          const { data } = await queryFulfilled;
          dispatch(messagesApi.util.updateQueryData("getMessages", item.chatId, (d) => upsertMessage(d.messages, data.message)));
          dispatch(delivered(item.clientMsgId));
        } catch (e) {
          const err = (e as { error?: { data?: { error?: { code?: string } } } }).error;
          const code = err?.data?.error?.code;
          // no answer: stays pending and goes again on reconnect; an answer that says no: failed
          if (code !== "timeout" && code !== "disconnected") {
            dispatch(failed({ clientMsgId: item.clientMsgId, error: errorText(err) }));
          }
        }
      },
    }),
    editMessage: build.mutation<{ message: Message }, { messageId: number; chatId: number; body: string }>({
      queryFn: ({ messageId, body }) => ackQuery("message:edit", { messageId, body }),
      onQueryStarted: applyAckedMessage,
    }),
    deleteMessage: build.mutation<{ message: Message }, { messageId: number; chatId: number }>({
      queryFn: ({ messageId }) => ackQuery("message:delete", { messageId }),
      onQueryStarted: applyAckedMessage,
    }),
    react: build.mutation<ReactionEvent, { messageId: number; chatId: number; emoji: string; add: boolean }>({
      queryFn: ({ messageId, emoji, add }) => ackQuery(add ? "reaction:add" : "reaction:remove", { messageId, emoji }),
      async onQueryStarted({ chatId, add }, { dispatch, queryFulfilled }) {
        const res = await queryFulfilled.catch(() => null);
        if (!res) return;
        dispatch(
          messagesApi.util.updateQueryData("getMessages", chatId, (d) => {
            const m = d.messages.find((x) => x.id === res.data.messageId);
            if (m) applyReaction(m, res.data, add);
          }),
        );
      },
    }),
    markRead: build.mutation<{ chatId: number; lastReadSeq: number }, { chatId: number; seq: number }>({
      queryFn: (arg) => ackQuery("message:read", arg),
      async onQueryStarted({ chatId, seq }, { dispatch }) {
        dispatch(
          chatsApi.util.updateQueryData("getChats", undefined, (d) => {
            const c = d.find((x) => x.id === chatId);
            if (c) markChatRead(c, seq);
          }),
        );
      },
    }),
    setTyping: build.mutation<Record<string, never>, { chatId: number; typing: boolean }>({
      queryFn: ({ chatId, typing }) => ackQuery(typing ? "typing:start" : "typing:stop", { chatId }, 3000),
    }),
    getTyping: build.query<TypingData, number>({
      queryFn: () => ({ data: {} }),
      async onCacheEntryAdded(chatId, { updateCachedData, cacheDataLoaded, cacheEntryRemoved }) {
        const socket = getSocket();
        const onTyping = (e: TypingEvent) => {
          if (e.chatId !== chatId) return;
          updateCachedData((d) => {
            if (e.typing) d[e.userId] = { name: e.username, until: Date.now() + TYPING_TTL_MS };
            else delete d[e.userId];
          });
        };
        // a stopped typist whose stop got lost (typing is volatile) fades out; so does a sender
        const onMessage = (m: Message) => {
          if (m.chatId === chatId) updateCachedData((d) => void delete d[m.authorId]);
        };
        const prune = setInterval(() => {
          updateCachedData((d) => {
            const now = Date.now();
            for (const k of Object.keys(d)) if (d[Number(k)]!.until < now) delete d[Number(k)];
          });
        }, 1000);
        await cacheDataLoaded;
        socket.on("typing", onTyping);
        socket.on("message:new", onMessage);
        await cacheEntryRemoved;
        clearInterval(prune);
        socket.off("typing", onTyping);
        socket.off("message:new", onMessage);
      },
    }),
    searchMessages: build.query<Message[], string>({
      query: (q) => `/messages/search?q=${encodeURIComponent(q)}&limit=20`,
      transformResponse: (r: SearchResponse) => r.messages,
    }),
  }),
});

async function applyAckedMessage(
  { chatId }: { chatId: number },
  { dispatch, queryFulfilled }: { dispatch: (a: unknown) => unknown; queryFulfilled: Promise<{ data: { message: Message } }> },
) {
  const res = await queryFulfilled.catch(() => null);
  if (res) dispatch(messagesApi.util.updateQueryData("getMessages", chatId, (d) => upsertMessage(d.messages, res.data.message)));
}

type Thunk<R = void> = ThunkAction<R, { outbox: OutboxState; auth: AuthState }, unknown, UnknownAction>;

/** Sends every pending outbox message, oldest first, one at a time (acks keep the order). */
export const flushOutbox = outboxFlusher<{ outbox: OutboxState; auth: AuthState }, OutboxItem>({
  connected: () => getSocket().connected,
  items: (s) => s.outbox.items,
  send: (dispatch, item) => dispatch(messagesApi.endpoints.sendMessage.initiate(item)),
});

/** The composer's send: queue with a fresh clientMsgId, then send if connected. */
export function sendChatMessage(chatId: number, body: string, attachments: Attachment[] = []): Thunk<string> {
  return (dispatch) => {
    const clientMsgId = newClientMsgId();
    dispatch(queued({ clientMsgId, chatId, body, createdAt: Date.now(), ...(attachments.length ? { attachments } : {}) }));
    void dispatch(flushOutbox());
    return clientMsgId;
  };
}

export const {
  useGetMessagesQuery,
  useLoadOlderMutation,
  useEditMessageMutation,
  useDeleteMessageMutation,
  useReactMutation,
  useMarkReadMutation,
  useSetTypingMutation,
  useGetTypingQuery,
  useSearchMessagesQuery,
} = messagesApi;

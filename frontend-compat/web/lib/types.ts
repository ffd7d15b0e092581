// types.ts - every REST payload (src/web/openapi.json) and every /chat Socket.IO event
// (docs/chat-events.md) the app uses, in one place. A change of the server's contract is meant to
// break the type check here, not the user at run time.

// ---- REST components -------------------------------------------------------------------------

export type PresenceStatus = "online" | "away" | "offline";

export interface User {
  id: number;
  username: string;
  displayName: string;
  nameColor?: string;
  role?: "user" | "agent" | "admin";
  createdAt?: number;
  lastSeenAt?: number;
  status: PresenceStatus;
  online: boolean;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: "Bearer";
  expiresIn: number;
  user: User;
}

export interface RegisterRequest {
  username: string;
  password: string;
  displayName?: string;
}
export interface LoginRequest {
  username: string;
  password: string;
}
export interface RefreshRequest {
  refreshToken: string;
}
export interface LogoutRequest {
  refreshToken?: string;
  all?: boolean;
}

export type ChatType = "public" | "private" | "group";
export type MyRole = "none" | "member" | "admin" | "owner";

export interface Chat {
  id: number;
  type: ChatType;
  /** "" for private chats */
  name: string;
  topic: string;
  createdBy?: number;
  createdAt?: number;
  lastSeq?: number;
  lastMessageAt?: number;
  memberCount: number;
  /** private chats: the two users */
  userIds?: number[];
  /** private chats: the other user */
  peerId?: number;
  myRole?: MyRole;
  lastReadSeq?: number;
  unread?: number;
  /** public chats */
  joined?: boolean;
}

export interface Member extends User {
  memberRole?: "member" | "admin" | "owner";
  joinedAt?: number;
  lastReadSeq?: number;
}

export interface ChatDetail extends Chat {
  members?: Member[];
}

export interface ReadPosition {
  chatId: number;
  lastReadSeq: number;
}

export interface PublicChatCreate {
  name: string;
  topic?: string | null;
}
export interface PrivateChatCreate {
  userId: number;
}
export interface GroupCreate {
  name: string;
  topic?: string | null;
  memberIds?: number[];
}
export interface GroupUpdate {
  name?: string;
  topic?: string | null;
  addMemberIds?: number[];
  removeMemberIds?: number[];
  lastReadSeq?: number;
}
export interface MemberAdd {
  userId: number;
  role?: "member" | "admin";
}

export interface Reaction {
  emoji: string;
  count: number;
  userIds: number[];
}

export interface Message {
  id: number;
  chatId: number;
  seq: number;
  authorId: number;
  body: string;
  clientMsgId?: string | null;
  createdAt: number;
  editedAt?: number | null;
  deletedAt?: number | null;
  deleted: boolean;
  reactions?: Reaction[];
  /** files the message carries (see Attachment); absent on message:edited / message:deleted */
  attachments?: Attachment[];
}

export interface MessageSend {
  body: string;
  clientMsgId?: string | null;
  attachmentIds?: number[];
}
export interface MessageEdit {
  body: string;
}

/** PATCH /v1/api/users/me */
export interface ProfileUpdate {
  displayName?: string;
  nameColor?: string;
}

export interface ApiError {
  error: { code: string; message: string };
}

export interface ChatsResponse {
  chats: Chat[];
}
export interface UsersPage {
  users: User[];
  nextAfter: number | null;
}
export interface MessagesPage {
  messages: Message[];
  nextBefore: number | null;
}
export interface MembersResponse {
  members: Member[];
}
export interface SearchResponse {
  messages: Message[];
}

// ---- /chat Socket.IO events ------------------------------------------------------------------

export type AckError = { ok: false; error: { code: string; message: string } };
export type Ack<T> = ({ ok: true } & T) | AckError;

export interface ReadyEvent {
  userId: number;
  username: string;
  chatIds: number[];
}
export interface ReadEvent {
  chatId: number;
  userId: number;
  seq: number;
}
export interface ReactionEvent {
  messageId: number;
  chatId: number;
  userId: number;
  emoji: string;
}
export interface TypingEvent {
  chatId: number;
  userId: number;
  username: string;
  typing: boolean;
}
export interface ChatEvent {
  chat: Chat;
}
export interface ChatIdEvent {
  chatId: number;
}
export interface ChatDeletedEvent {
  chatId: number;
  by: number;
}
export interface MemberEvent {
  chatId: number;
  userId: number;
  by: number;
}
export interface PresenceUpdateEvent {
  userId: number;
  status: PresenceStatus;
}
export interface PresenceMember {
  userId: number;
  username: string;
  status: PresenceStatus;
}
export interface PresenceMemberEvent {
  channel: string;
  member: PresenceMember;
}
export interface UserUpdatedEvent {
  user: User;
}

/** Events the server emits on /chat. */
export interface ServerToClientEvents {
  ready: (e: ReadyEvent) => void;
  "message:new": (m: Message) => void;
  "message:edited": (m: Message) => void;
  "message:deleted": (m: Message) => void;
  "message:read": (e: ReadEvent) => void;
  "reaction:added": (e: ReactionEvent) => void;
  "reaction:removed": (e: ReactionEvent) => void;
  typing: (e: TypingEvent) => void;
  "chat:created": (e: ChatEvent) => void;
  "chat:removed": (e: ChatIdEvent) => void;
  "chat:updated": (e: ChatEvent) => void;
  "chat:deleted": (e: ChatDeletedEvent) => void;
  "chat:member_joined": (e: MemberEvent) => void;
  "chat:member_left": (e: MemberEvent) => void;
  "chat:member_added": (e: MemberEvent) => void;
  "chat:member_removed": (e: MemberEvent) => void;
  "presence:update": (e: PresenceUpdateEvent) => void;
  "presence:member_added": (e: PresenceMemberEvent) => void;
  "presence:member_removed": (e: PresenceMemberEvent) => void;
  "user:updated": (e: UserUpdatedEvent) => void;
}

/** Events the client emits on /chat: payload and the ack's result (without `ok`). */
export interface ClientEmits {
  "chat:join": [{ chatId: number }, { chatId: number }];
  "chat:leave": [{ chatId: number }, { chatId: number }];
  "message:send": [{ chatId: number; body: string; clientMsgId?: string }, { message: Message; duplicate: boolean }];
  "message:edit": [{ messageId: number; body: string }, { message: Message }];
  "message:delete": [{ messageId: number }, { message: Message }];
  "reaction:add": [{ messageId: number; emoji: string }, ReactionEvent];
  "reaction:remove": [{ messageId: number; emoji: string }, ReactionEvent];
  "typing:start": [{ chatId: number }, Record<string, never>];
  "typing:stop": [{ chatId: number }, Record<string, never>];
  "message:read": [{ chatId: number; seq: number }, { chatId: number; lastReadSeq: number }];
  "presence:set": [{ status: "online" | "away" }, { status: "online" | "away" }];
  "presence:join": [{ channel: string }, { channel: string; members: PresenceMember[] }];
  "presence:leave": [{ channel: string }, { channel: string }];
}

export type ClientEvent = keyof ClientEmits;
export type ServerEvent = keyof ServerToClientEvents;
export type ServerPayload<E extends ServerEvent> = Parameters<ServerToClientEvents[E]>[0];

// ---- support desk (docs/desk.md): /v1/api/desk/*, /v1/api/widget/*, namespaces /desk, /support ----

export type DeskRole = "admin" | "attendant";

export interface DeskUser {
  id: number;
  username: string;
  displayName: string;
  role: DeskRole;
  active: boolean;
  createdAt: number;
  lastSeenAt: number | null;
}

export interface Customer {
  id: number;
  name: string;
  email: string;
}

export interface Service {
  id: number;
  channel: string;
  status: "open" | "finished";
  attendantId: number | null;
  customer: Customer;
  createdAt: number;
  assignedAt: number | null;
  firstResponseAt: number | null;
  lastActivityAt: number;
  finishedAt: number | null;
  finishedBy: number | null;
  finishReason: "agent" | "idle" | null;
  rating: number | null;
  ratingComment: string;
  ratedAt: number | null;
  resolutionMs: number | null;
  lastSeq: number;
  /** the newest message (the inbox's preview): lists and gets carry it, events do not */
  lastMessage?: { body: string; direction: "in" | "out" };
}

export type DeskMessageState = "sent" | "delivered" | "read" | "failed";

export interface DeskMessage {
  id: number;
  serviceId: number;
  seq: number;
  direction: "in" | "out";
  authorId?: number | null;
  body: string;
  clientMsgId: string | null;
  createdAt: number;
  state: DeskMessageState;
  stateAt?: number;
  attachments?: Attachment[];
  /** failed: why the channel could not deliver it (stored; null for every other message) */
  error?: { code: string; message: string } | null;
}

export interface ServicesPage {
  services: Service[];
  nextCursor: number | null;
}
export interface ServiceDetail {
  service: Service;
  messages: DeskMessage[];
}
export interface DeskUsersPage {
  users: DeskUser[];
  nextCursor: number | null;
}
export interface AttendantsPage {
  attendants: DeskUser[];
  nextCursor: number | null;
}
export interface PasswordReset {
  token: string;
  expiresAt: number;
  resetUrl: string;
}

export interface StatsFigures {
  opened: number;
  finished: number;
  open: number;
  firstResponse: { avgMs: number | null; count: number };
  resolution: { avgMs: number | null; count: number };
  rating: { avg: number | null; count: number; counts: Record<"1" | "2" | "3" | "4" | "5", number> };
}
export interface AttendantFigures extends StatsFigures {
  attendantId: number;
  username: string;
  displayName: string;
}
export interface DeskStats {
  from: number;
  to: number;
  totals: StatsFigures;
  unassigned: StatsFigures;
  attendants: AttendantFigures[];
}

/* ---- the desk's WhatsApp channel (docs/desk.md "WhatsApp"; the wa helper's block) ---- */

/** One entry of GET /v1/api/desk/channels (admin) and of PATCH /desk/channels/whatsapp's
 * `channel`. Times are ms since the epoch, null if never. */
export interface DeskChannel {
  id: "whatsapp";
  name: string;
  /** false: sioc runs without --whatsapp-phone-number-id */
  configured: boolean;
  /** the session is started: replies are sent */
  enabled: boolean;
  /** enabled and the latest Graph API call went through */
  connected: boolean;
  webhookVerified: boolean;
  lastEventAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
  lastOkAt: number | null;
  phoneNumberId: string | null;
  /** the template offered outside the 24-hour window */
  template: string | null;
}

export interface DeskChannelList {
  channels: DeskChannel[];
}

/** What a desk service carries for its channel (added to the service JSON). */
export interface DeskServiceChannelFields {
  lastInboundAt: number | null;
  /** WhatsApp: after this, free text is refused (409 outside_window); send the template */
  windowClosesAt: number | null;
  /** customer.phone: E.164 (+digits) for WhatsApp customers (tel: / wa.me links), else null */
  customer: { phone: string | null };
}

/** message:status on /desk when a WhatsApp message could not be delivered. */
export interface DeskMessageFailedEvent {
  serviceId: number;
  direction: "out";
  state: "failed";
  messageId: number;
  seq?: number;
  error: { code: "delivery_failed"; message: string };
}

/* ---- the desk page's WhatsApp parts (features/desk/ContactLinks, WhatsAppWindow, WaMessage,
 * whatsapp.ts; the waui helper's block) ---- */

// The channel fields every service JSON carries (DeskServiceChannelFields), merged into the desk's
// Customer and Service (interface merging); optional so that a service built by hand (tests) may
// leave them out. null outside WhatsApp.
export interface Customer {
  /** WhatsApp: "+<wa_id>" (E.164); else null */
  phone?: string | null;
}
export interface Service {
  lastInboundAt?: number | null;
  windowClosesAt?: number | null;
}

/** message:status on /desk: states moving up to a seq, or one message that failed (its error). */
export type DeskStatusEvent =
  | { serviceId: number; direction: "in" | "out"; upToSeq: number; state: Exclude<DeskMessageState, "failed"> }
  | DeskMessageFailedEvent;

export interface WidgetSession {
  visitorToken: string;
  tokenType: "visitor";
  expiresIn: number;
  customer: Customer;
}

/** The widget's view of its latest service (the `history` event). */
export interface WidgetService {
  id: number;
  status: "open" | "finished";
  createdAt: number;
  finishedAt: number | null;
  rating: number | null;
  ratingPending: boolean;
}

/** Events the server emits on /desk. */
export interface DeskServerEvents {
  ready: (e: { userId: number; role: DeskRole }) => void;
  "service:new": (e: { service: Service }) => void;
  "service:assigned": (e: { service: Service; previousAttendantId: number | null; auto?: boolean }) => void;
  "service:updated": (e: { service: Service }) => void;
  "service:finished": (e: { service: Service }) => void;
  "message:new": (e: { serviceId: number; message: DeskMessage; service: Service }) => void;
  "message:status": (e: DeskStatusEvent) => void;
  typing: (e: { serviceId: number; from: "customer" | "attendant"; userId?: number; typing: boolean }) => void;
}

/** Events staff emit on /desk: payload and the ack's result (without `ok`). */
export interface DeskClientEmits {
  "message:send": [{ serviceId: number; body: string; clientMsgId?: string }, { message: DeskMessage; service: Service; duplicate: boolean }];
  typing: [{ serviceId: number; typing: boolean }, Record<string, never>];
  "message:read": [{ serviceId: number; seq: number }, { upToSeq: number }];
}

// ---- attachments (src/media: POST /v1/api/attachments, GET /v1/api/attachments/:id) ----

/** An uploaded file, as POST /v1/api/attachments answers and messages carry it. `url` and
 * `thumbUrl` need the bearer token (fetched into blob: URLs by the app). */
export interface Attachment {
  id: number;
  name: string;
  /** the type the server read from the bytes: image/png, audio/webm, application/pdf... */
  type: string;
  size: number;
  url: string;
  /** images only: a WebP preview of at most 320 px */
  thumbUrl?: string;
  width?: number;
  height?: number;
}

// ---- WebRTC audio calls (docs/desk.md "Calls", src/desk/call.c): attendant on /desk <-> widget customer on /support ----

export type CallSignalType = "offer" | "answer" | "ice";
export type CallEndReason = "hangup" | "declined" | "no_answer" | "failed" | "disconnected" | "service_finished" | "transferred";
/** An RTCIceServer from --webrtc-ice-servers (empty by default: host candidates only). */
export interface CallIceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}
/** The ack of /desk `call:start`, and /support `call:incoming`. */
export interface CallStarted {
  serviceId: number;
  callId: string;
  iceServers: CallIceServer[];
}
/** `call:signal` both ways: a session description, an ICE candidate, or null (no more candidates). */
export interface CallSignalEvent {
  serviceId: number;
  callId: string;
  type: CallSignalType;
  data: { type: "offer" | "answer"; sdp: string } | { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null; usernameFragment?: string | null } | null;
}
/** `call:end` both ways (callId null: whatever call the service had). */
export interface CallEndEvent {
  serviceId: number;
  callId: string | null;
  reason: CallEndReason;
  by: "attendant" | "customer" | "server";
}
/** /desk `call:accepted`, /support `call:answered` (another tab of the customer took it). */
export interface CallAcceptedEvent {
  serviceId: number;
  callId: string;
}

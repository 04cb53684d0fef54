// Types of the OrleansSync browser client (orleanssync.js).

/** An event of the reliable protocol: the published object's fields plus its event_id. */
export interface EventFrame {
  type: string;
  event_id: string;
  [field: string]: unknown;
}

/** A ChurchApps room payload. */
export interface RoomPayload<T = unknown> {
  churchId: string;
  conversationId: string;
  action: string;
  data: T;
  /** Present when the payload came through the reliable queue of an authenticated socket. */
  event_id?: string;
}

export interface AuthOk {
  type: 'auth_ok';
  user: string;
  session_id: string;
  need_full_sync: boolean;
  socket_id?: string;
}

export type FullSyncReason = 'need_full_sync' | 'unfinished_sync' | 'page_load';

export type ConnectionStatus = 'idle' | 'connecting' | 'syncing' | 'live' | 'waiting' | 'closed';

export interface ConnectOptions {
  /** The gateway socket, e.g. ws://127.0.0.1:5080/ws. */
  url: string;
  /** A JWT for the reliable protocol, or null for an anonymous socket (rooms only). Called on every (re)connect. */
  getToken?: () => string | null | undefined | Promise<string | null | undefined>;
  /** Called once per new event_id, in order; the event is acked after the returned promise settles. */
  onEvent?: (frame: EventFrame) => void | Promise<void>;
  /**
   * Re-reads the application's state. Called when auth_ok says need_full_sync, when an earlier sync did not
   * finish, and (with syncOnLoad) on the first auth_ok of a page load. Events received meanwhile wait and are
   * applied after it resolves; if it rejects, the socket is dropped and the sync retried after reconnecting.
   */
  onFullSync?: (info: { reason: FullSyncReason }) => void | Promise<void>;
  /** Called after each auth_ok. */
  onAuthenticated?: (frame: AuthOk) => void;
  /** Called for network, REST and handler errors (default: console.warn). */
  onError?: (error: unknown) => void;
  /** Base URL of the ChurchApps REST routes; default: http(s)://<host of url>/messaging. */
  messagingUrl?: string;
  /** Storage for session_id, processed ids and the pending-sync flag; default sessionStorage (null: memory only). */
  storage?: Storage | null;
  /** Key prefix in storage; default 'orleanssync'. Use distinct prefixes for several connections in one page. */
  storageKey?: string;
  /** How many processed event ids are remembered; default 1000. */
  processedLimit?: number;
  /** First reconnect delay ceiling in ms (default 500); doubles per failed attempt, jittered in [d/2, d]. */
  backoffInitialMs?: number;
  /** Largest reconnect delay ceiling in ms; default 15000. */
  backoffMaxMs?: number;
  /** How long a probe waits for its pong before the socket is declared dead; default 3000 ms. */
  probeTimeoutMs?: number;
  /** How long opening plus auth may take before trying again; default 10000 ms. */
  connectTimeoutMs?: number;
  /** Run onFullSync on the first auth_ok of each page load even if the server does not ask; default true. */
  syncOnLoad?: boolean;
}

export interface ConnectionStats {
  connects: number;
  authOk: number;
  applied: number;
  duplicates: number;
  acks: number;
  fullSyncs: number;
  probes: number;
  probeFailures: number;
}

export interface Viewer { id: string; displayName: string; }
export interface Attendance { viewers: Viewer[]; totalViewers: number; }

export interface Message {
  id: string;
  churchId: string;
  conversationId: string;
  personId?: string;
  displayName: string;
  timeSent: string;
  messageType?: string;
  content: string;
  [field: string]: unknown;
}

export declare class MessagingApi {
  join(rows: Array<{ churchId: string; conversationId: string; socketId: string; personId?: string; displayName: string }>): Promise<unknown[]>;
  leave(churchId: string, conversationId: string, socketId: string): Promise<{ success: boolean }>;
  setName(socketId: string, name: string): Promise<unknown>;
  catchup(churchId: string, conversationId: string): Promise<Message[]>;
  /** As the signed-in user when getToken gives a token, else anonymously (POST /messages/send) with displayName. */
  sendMessage(message: { churchId: string; conversationId: string; content: string; displayName?: string }): Promise<Message>;
  deleteMessage(id: string): Promise<unknown>;
  createConversations(rows: Array<{ contentType: string; contentId: string; title: string; allowAnonymousPosts: boolean }>): Promise<Array<{ id: string; churchId: string }>>;
}

export declare class ConversationStore {
  get(churchId: string, conversationId: string): Message[];
  subscribe(listener: (churchId: string, conversationId: string) => void): () => void;
  load(churchId: string, conversationId: string): Promise<void>;
  apply(payload: RoomPayload): boolean;
}

export declare class PresenceStore {
  get(churchId: string, conversationId: string): Attendance;
  subscribe(listener: (churchId: string, conversationId: string) => void): () => void;
  apply(payload: RoomPayload): boolean;
}

export declare class SubscriptionManager {
  /** Joins on the first reference; the returned function releases it (leaving on the last). */
  subscribe(churchId: string, conversationId: string,
    options?: { displayName?: string; personId?: string; loadMessages?: boolean }): () => Promise<void>;
  list(): Array<{ churchId: string; conversationId: string; refs: number }>;
  setName(name: string): Promise<void>;
  reloadAll(): Promise<unknown>;
}

export declare class Connection {
  readonly status: ConnectionStatus;
  readonly socketId: string | null;
  readonly sessionId: string | null;
  readonly stats: ConnectionStats;
  readonly messaging: MessagingApi;
  readonly conversations: ConversationStore;
  readonly presence: PresenceStore;
  readonly rooms: SubscriptionManager;
  /** Closes for good (no reconnect). */
  close(): void;
  /** Pings the socket and reconnects if no pong comes within probeTimeoutMs. */
  probe(): void;
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
  onRoomPayload(listener: (payload: RoomPayload) => void): () => void;
}

export declare function connect(options: ConnectOptions): Connection;

/** ws(s)://<this page's host>/ws */
export declare function defaultSocketUrl(): string;

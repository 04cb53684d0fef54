// OrleansSync browser client: a dependency-free ES module.
//
// One WebSocket per tab that speaks both protocols of the gateway (docs/PROTOCOL.md):
//  - the reliable session protocol: auth with a per-tab session_id, apply each event_id once, ack every
//    event (duplicates too), run a full sync when the server says need_full_sync;
//  - ChurchApps rooms: a ref-counted subscription manager that joins and leaves rooms over REST, and
//    stores for conversations (messages) and presence (attendance).
//
// Ordering and the full sync, in one rule: everything the socket delivers is handled by ONE serial task
// chain, in arrival order. A full sync is a task on that chain, so events that arrive while it runs wait
// behind it and are applied after it, in order, each at most once. An event is acked only once it has been
// applied (or recognised as already applied), so an event that was buffered when the tab died is re-sent
// by the server rather than lost. Handlers must therefore be idempotent upserts/deletes: an event that the
// sync's read already reflected is applied again on top of it (adding an existing photo, removing a missing one).

// The server's close codes (docs/PROTOCOL.md), held equal to the server's by a test. Every close leads to a reconnect
// with backoff, unknown codes included; only sessionReplaced changes what the next attempt sends (a new session).
// authFailed is retried too, as getToken runs again on each attempt and may return a fresh token.
const RELIABLE_CLOSE = Object.freeze({
  authFailed: 4001, sessionReplaced: 4002, maxAttempts: 4003, slowConsumer: 4004, queueOverflow: 4005,
});

/**
 * Opens a connection that reconnects by itself until close() is called.
 * @param {import('./orleanssync').ConnectOptions} options
 * @returns {Connection}
 */
export function connect(options) {
  const connection = new Connection(options);
  connection.start();
  return connection;
}

/** Small persistent key/value store over sessionStorage (per tab, survives reload); memory if storage is unusable. */
class TabStore {
  constructor(storage, prefix) {
    this.storage = storage;
    this.prefix = prefix;
    this.memory = new Map();
  }
  get(key) {
    try {
      if (this.storage) return this.storage.getItem(this.prefix + key);
    } catch { /* storage disabled: fall back to memory */ }
    return this.memory.has(key) ? this.memory.get(key) : null;
  }
  set(key, value) {
    this.memory.set(key, value);
    try {
      if (!this.storage) return;
      if (value === null) this.storage.removeItem(this.prefix + key);
      else this.storage.setItem(this.prefix + key, value);
    } catch { /* quota or disabled storage: memory keeps working for this page */ }
  }
}

/** The ids of events already applied: bounded (oldest forgotten first) and persisted in the tab's storage. */
class ProcessedIds {
  constructor(store, limit) {
    this.store = store;
    this.limit = limit;
    let ids = [];
    try { ids = JSON.parse(store.get('processed') || '[]'); } catch { ids = []; }
    this.order = Array.isArray(ids) ? ids.slice(-limit) : [];
    this.set = new Set(this.order);
  }
  has(id) { return this.set.has(id); }
  add(id) {
    if (this.set.has(id)) return;
    this.set.add(id);
    this.order.push(id);
    while (this.order.length > this.limit) this.set.delete(this.order.shift());
    this.store.set('processed', JSON.stringify(this.order));
  }
}

function roomKey(churchId, conversationId) { return `${churchId}\u0000${conversationId}`; }

/** A set of listeners; a throwing listener never breaks the others. */
class Listeners {
  constructor() { this.items = new Set(); }
  add(fn) { this.items.add(fn); return () => this.items.delete(fn); }
  emit(...args) {
    for (const fn of [...this.items]) {
      try { fn(...args); } catch (error) { console.error('orleanssync listener failed', error); }
    }
  }
}

/** Thin REST client for the ChurchApps routes under the messaging base URL. */
class MessagingApi {
  constructor(baseUrl, getToken) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.getToken = getToken;
  }
  async request(method, path, body, authenticated) {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (authenticated) {
      const token = await this.getToken();
      if (!token) throw new Error(`${method} ${path} needs a signed-in user`);
      headers.Authorization = `Bearer ${token}`;
    }
    const response = await fetch(this.baseUrl + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  }
  join(rows) { return this.request('POST', '/connections', rows, false); }
  leave(churchId, conversationId, socketId) {
    const e = encodeURIComponent;
    return this.request('DELETE', `/connections/${e(churchId)}/${e(conversationId)}/${e(socketId)}`, undefined, false);
  }
  setName(socketId, name) { return this.request('POST', '/connections/setName', { socketId, name }, false); }
  catchup(churchId, conversationId) {
    const e = encodeURIComponent;
    return this.request('GET', `/messages/catchup/${e(churchId)}/${e(conversationId)}`, undefined, false);
  }
  /** Posts a message: as the signed-in user when a token is available, otherwise anonymously with displayName. */
  async sendMessage({ churchId, conversationId, content, displayName }) {
    const token = await this.getToken();
    const rows = token
      ? await this.request('POST', '/messages', [{ conversationId, content }], true)
      : await this.request('POST', '/messages/send', [{ churchId, conversationId, displayName, content }], false);
    return Array.isArray(rows) ? rows[0] : rows;
  }
  deleteMessage(id) { return this.request('DELETE', `/messages/${encodeURIComponent(id)}`, undefined, true); }
  createConversations(rows) { return this.request('POST', '/conversations', rows, true); }
}

/** Messages per room, upserted by id, in the order sent. Fed by `message` / `deleteMessage` payloads and catch-up reads. */
export class ConversationStore {
  constructor(api) {
    this.api = api;
    this.rooms = new Map();
    this.deleted = new Set(); // ids of deleted messages: a catch-up read that raced the delete must not bring them back
    this.changed = new Listeners();
  }
  /** Messages of a room, oldest first. */
  get(churchId, conversationId) {
    const room = this.rooms.get(roomKey(churchId, conversationId));
    return room ? [...room.values()].sort(byTimeSent) : [];
  }
  /** Calls fn(churchId, conversationId) after every change; returns the unsubscribe function. */
  subscribe(fn) { return this.changed.add(fn); }
  /** Reads the room's messages over REST and merges them (nothing is lost if payloads raced the read). */
  async load(churchId, conversationId) {
    const rows = await this.api.catchup(churchId, conversationId);
    for (const message of rows || []) this.upsert(churchId, conversationId, message, false);
    this.changed.emit(churchId, conversationId);
  }
  upsert(churchId, conversationId, message, notify = true) {
    if (!message || message.id === undefined || this.deleted.has(String(message.id))) return;
    const key = roomKey(churchId, conversationId);
    if (!this.rooms.has(key)) this.rooms.set(key, new Map());
    const room = this.rooms.get(key);
    room.set(String(message.id), { ...(room.get(String(message.id)) || {}), ...message });
    if (notify) this.changed.emit(churchId, conversationId);
  }
  remove(churchId, conversationId, id) {
    this.deleted.add(String(id));
    const room = this.rooms.get(roomKey(churchId, conversationId));
    if (room && room.delete(String(id))) this.changed.emit(churchId, conversationId);
  }
  /** Applies a room payload; true if it was a conversation action. */
  apply(payload) {
    const { churchId, conversationId, action, data } = payload;
    if (action === 'message') {
      this.upsert(churchId, data && data.conversationId ? data.conversationId : conversationId, data);
      return true;
    }
    if (action === 'deleteMessage') {
      this.remove(churchId, conversationId, data && typeof data === 'object' ? data.id : data);
      return true;
    }
    return false;
  }
}

function byTimeSent(a, b) {
  const ta = Date.parse(a.timeSent || '') || 0;
  const tb = Date.parse(b.timeSent || '') || 0;
  return ta - tb;
}

/** Who is watching each room, from `attendance` payloads `{conversationId, viewers, totalViewers}`. */
export class PresenceStore {
  constructor() {
    this.rooms = new Map();
    this.changed = new Listeners();
  }
  /** `{viewers:[{id, displayName}], totalViewers}` of a room (empty if unknown). */
  get(churchId, conversationId) {
    return this.rooms.get(roomKey(churchId, conversationId)) || { viewers: [], totalViewers: 0 };
  }
  subscribe(fn) { return this.changed.add(fn); }
  apply(payload) {
    if (payload.action !== 'attendance') return false;
    const data = payload.data || {};
    const conversationId = data.conversationId || payload.conversationId;
    const viewers = Array.isArray(data.viewers) ? data.viewers : [];
    this.rooms.set(roomKey(payload.churchId, conversationId), {
      viewers, totalViewers: typeof data.totalViewers === 'number' ? data.totalViewers : viewers.length,
    });
    this.changed.emit(payload.churchId, conversationId);
    return true;
  }
}

/**
 * Ref-counted room membership. The first subscribe to a room posts a connection row for the current socket,
 * the last unsubscribe deletes it; after a reconnect (new socketId) every held room is joined again and its
 * messages re-read, since the server dropped the old socket's rows when it closed.
 */
export class SubscriptionManager {
  constructor(api, conversations) {
    this.api = api;
    this.conversations = conversations;
    this.entries = new Map();
    this.socketId = null;
    this.errors = new Listeners();
  }
  /**
   * Holds a room until the returned function is called. Options: displayName, personId, loadMessages (default true).
   * @returns {() => Promise<void>} unsubscribe
   */
  subscribe(churchId, conversationId, options = {}) {
    const key = roomKey(churchId, conversationId);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { churchId, conversationId, refs: 0, joinedSocketId: null, displayName: options.displayName || 'Anonymous',
        personId: options.personId, loadMessages: options.loadMessages !== false };
      this.entries.set(key, entry);
    }
    entry.refs += 1;
    if (entry.refs === 1) this.join(entry);
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      entry.refs -= 1;
      if (entry.refs > 0) return;
      this.entries.delete(key);
      const socketId = entry.joinedSocketId;
      entry.joinedSocketId = null;
      if (socketId) await this.report(this.api.leave(churchId, conversationId, socketId));
    };
  }
  /** Rooms currently held, with their reference counts. */
  list() { return [...this.entries.values()].map(e => ({ churchId: e.churchId, conversationId: e.conversationId, refs: e.refs })); }
  /** Changes the display name shown in every room of this socket. */
  async setName(name) {
    for (const entry of this.entries.values()) entry.displayName = name;
    if (this.socketId) await this.report(this.api.setName(this.socketId, name));
  }
  /** Called by the connection whenever the socket (and so its id) changes. */
  onSocketId(socketId) {
    this.socketId = socketId;
    for (const entry of this.entries.values()) this.join(entry);
  }
  /** Re-reads the messages of every held room (after a full sync or a reconnect). */
  reloadAll() {
    return Promise.all([...this.entries.values()].filter(e => e.loadMessages)
      .map(e => this.report(this.conversations.load(e.churchId, e.conversationId))));
  }
  async join(entry) {
    const socketId = this.socketId;
    if (!socketId || entry.joinedSocketId === socketId) return;
    entry.joinedSocketId = socketId;
    const row = { churchId: entry.churchId, conversationId: entry.conversationId, socketId, displayName: entry.displayName };
    if (entry.personId) row.personId = entry.personId;
    const joined = await this.report(this.api.join([row]));
    if (joined === undefined && entry.joinedSocketId === socketId) entry.joinedSocketId = null;
    if (entry.loadMessages && this.entries.get(roomKey(entry.churchId, entry.conversationId)) === entry) {
      await this.report(this.conversations.load(entry.churchId, entry.conversationId));
    }
  }
  async report(promise) {
    try { return await promise; } catch (error) { this.errors.emit(error); return undefined; }
  }
}

/** One tab's connection. Created by connect(). */
export class Connection {
  constructor(options) {
    if (!options || !options.url) throw new Error('connect: url is required');
    this.options = {
      storageKey: 'orleanssync',
      processedLimit: 1000,
      backoffInitialMs: 500,
      backoffMaxMs: 15000,
      probeTimeoutMs: 3000,
      connectTimeoutMs: 10000,
      syncOnLoad: true,
      ...options,
    };
    const storage = 'storage' in options ? options.storage : (typeof sessionStorage === 'undefined' ? null : sessionStorage);
    this.store = new TabStore(storage, this.options.storageKey + ':');
    this.processed = new ProcessedIds(this.store, this.options.processedLimit);
    /** Counters, for diagnostics and tests. */
    this.stats = { connects: 0, authOk: 0, applied: 0, duplicates: 0, acks: 0, fullSyncs: 0, probes: 0, probeFailures: 0 };
    this.status = 'idle';
    this.socketId = null;
    this.ws = null;
    this.authenticated = false;
    this.closed = false;
    this.attempt = 0;
    this.chain = Promise.resolve();
    this.generation = 0;
    this.syncedThisPage = false;
    this.statusChanged = new Listeners();
    this.roomPayloads = new Listeners();
    const api = new MessagingApi(this.options.messagingUrl || defaultMessagingUrl(this.options.url), () => this.token());
    /** REST client for the ChurchApps routes (join, leave, send, catch-up). */
    this.messaging = api;
    /** Messages per room. */
    this.conversations = new ConversationStore(api);
    /** Viewers per room. */
    this.presence = new PresenceStore();
    /** Ref-counted room membership. */
    this.rooms = new SubscriptionManager(api, this.conversations);
    this.rooms.errors.add(error => this.reportError(error));
    this.onWake = () => this.probe();
    this.onVisibility = () => { if (document.visibilityState === 'visible') this.probe(); };
  }

  /** The reliable session id of this tab (kept in sessionStorage), or null before the first auth_ok. */
  get sessionId() { return this.store.get('session'); }

  start() {
    if (typeof window !== 'undefined') {
      for (const name of ['online', 'focus', 'pageshow']) window.addEventListener(name, this.onWake);
      document.addEventListener('visibilitychange', this.onVisibility);
    }
    this.open();
  }

  /** Closes the socket for good: no reconnect. */
  close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.probeTimer);
    clearTimeout(this.connectTimer);
    if (typeof window !== 'undefined') {
      for (const name of ['online', 'focus', 'pageshow']) window.removeEventListener(name, this.onWake);
      document.removeEventListener('visibilitychange', this.onVisibility);
    }
    const ws = this.ws;
    this.detach();
    if (ws) try { ws.close(1000, 'closed by client'); } catch { /* already closed */ }
    this.setStatus('closed');
  }

  /** Calls fn(status) on every status change: connecting, syncing, live, waiting, closed. */
  onStatus(fn) { return this.statusChanged.add(fn); }

  /** Calls fn(payload) for every room payload (after it went to the stores); returns the unsubscribe function. */
  onRoomPayload(fn) { return this.roomPayloads.add(fn); }

  /**
   * Checks that the socket is alive: sends a ping and expects a pong within probeTimeoutMs, else reconnects at
   * once. Called on online/focus/pageshow/visibility; a socket that is not open is reconnected without waiting.
   */
  probe() {
    if (this.closed) return;
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSING || ws.readyState === WebSocket.CLOSED) {
      this.reconnectNow();
      return;
    }
    if (ws.readyState !== WebSocket.OPEN || this.probeTimer) return;
    this.stats.probes += 1;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      if (this.ws !== ws) return;
      this.stats.probeFailures += 1;
      this.abandon('probe timed out');
      this.reconnectNow();
    }, this.options.probeTimeoutMs);
    this.send({ type: 'ping' });
  }

  async token() {
    return this.options.getToken ? await this.options.getToken() : null;
  }

  // ---- socket lifecycle -------------------------------------------------------------------------------------

  async open() {
    if (this.closed) return;
    const generation = ++this.generation;
    this.setStatus('connecting');
    let token = null;
    try {
      token = await this.token();
    } catch (error) {
      this.reportError(error);
      this.scheduleReconnect();
      return;
    }
    if (this.closed || generation !== this.generation) return;
    let ws;
    try {
      ws = new WebSocket(this.options.url);
    } catch (error) {
      this.reportError(error);
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.authenticated = false;
    this.stats.connects += 1;
    this.connectTimer = setTimeout(() => {
      if (this.ws !== ws) return;
      this.abandon('connect timed out');
      this.scheduleReconnect();
    }, this.options.connectTimeoutMs);
    ws.onopen = () => {
      if (token) ws.send(JSON.stringify({ type: 'auth', token, session_id: this.sessionId }));
      else ws.send('getId');
    };
    ws.onmessage = event => this.receive(ws, event.data);
    ws.onerror = () => { /* onclose follows and decides */ };
    ws.onclose = event => {
      if (this.ws !== ws) return;
      this.detach();
      if (event.code === RELIABLE_CLOSE.sessionReplaced) {
        // Another socket took this session: most likely a duplicated tab that copied our sessionStorage.
        // The copy keeps the session; this tab starts its own (with a full sync).
        this.store.set('session', null);
      }
      this.scheduleReconnect();
    };
  }

  /** Drops the current socket without waiting for its close handshake (it may be dead). */
  abandon(reason) {
    const ws = this.ws;
    this.detach();
    if (ws) {
      ws.onclose = null; ws.onmessage = null; ws.onopen = null; ws.onerror = null;
      try { ws.close(4000, reason); } catch { /* ignore */ }
    }
  }

  detach() {
    clearTimeout(this.connectTimer);
    clearTimeout(this.probeTimer);
    this.connectTimer = null;
    this.probeTimer = null;
    this.ws = null;
    this.authenticated = false;
  }

  reconnectNow() {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.ws) return;
    this.attempt = 0;
    this.open();
  }

  /** Jittered exponential backoff: a delay drawn from [d/2, d] with d = initial·2^attempt, capped. */
  scheduleReconnect() {
    if (this.closed || this.retryTimer) return;
    const ceiling = Math.min(this.options.backoffMaxMs, this.options.backoffInitialMs * 2 ** this.attempt);
    const delay = ceiling / 2 + Math.random() * ceiling / 2;
    this.attempt = Math.min(this.attempt + 1, 30);
    this.setStatus('waiting');
    this.retryTimer = setTimeout(() => { this.retryTimer = null; this.open(); }, delay);
  }

  send(frame) {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    return true;
  }

  setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.statusChanged.emit(status);
  }

  reportError(error) {
    if (this.options.onError) {
      try { this.options.onError(error); } catch { /* ignore */ }
    } else {
      console.warn('orleanssync:', error);
    }
  }

  // ---- inbound frames ---------------------------------------------------------------------------------------

  receive(ws, text) {
    if (this.ws !== ws) return;
    // Any frame proves the socket alive.
    clearTimeout(this.probeTimer);
    this.probeTimer = null;
    let frame;
    try { frame = JSON.parse(text); } catch { return; }
    if (!frame || typeof frame !== 'object') return;
    if (frame.type === 'pong') return;
    if (frame.type === 'auth_ok') { this.onAuthOk(ws, frame); return; }
    if (frame.type === 'error') { this.reportError(new Error(`server error ${frame.code}: ${frame.message}`)); return; }
    if (frame.action === 'socketId' && !('event_id' in frame)) { this.onSocketId(ws, frame.data); return; }
    if (typeof frame.event_id === 'string') {
      const generation = this.generation;
      this.enqueue(() => this.handleEvent(frame, generation));
      return;
    }
    if (typeof frame.action === 'string') this.enqueue(() => this.dispatchRoomPayload(frame));
  }

  onSocketId(ws, socketId) {
    clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.attempt = 0;
    this.socketId = socketId;
    if (!this.authenticated) this.setStatus('live'); // an authenticated socket goes live after its sync decision
    this.rooms.onSocketId(socketId);
  }

  onAuthOk(ws, frame) {
    clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.authenticated = true;
    this.attempt = 0;
    this.stats.authOk += 1;
    const previousSession = this.sessionId;
    this.store.set('session', frame.session_id);
    if (previousSession && previousSession !== frame.session_id) {
      // A new session knows nothing of what we applied before: a full sync is due (the server says so too).
      this.store.set('sync_pending', '1');
    }
    if (frame.need_full_sync) this.store.set('sync_pending', '1');
    const reason = frame.need_full_sync ? 'need_full_sync'
      : this.store.get('sync_pending') ? 'unfinished_sync'
        : (!this.syncedThisPage && this.options.syncOnLoad) ? 'page_load' : null;
    const generation = this.generation;
    if (reason) this.enqueue(() => this.runFullSync(reason, generation));
    else this.enqueue(() => this.setStatus('live'));
    if (frame.socket_id) this.onSocketId(ws, frame.socket_id);
    if (reason) this.setStatus('syncing');
    if (this.options.onAuthenticated) {
      try { this.options.onAuthenticated(frame); } catch (error) { this.reportError(error); }
    }
  }

  /** Runs fn after everything received before it (the one serial chain of inbound work). */
  enqueue(fn) {
    this.chain = this.chain.then(fn).catch(error => this.reportError(error));
    return this.chain;
  }

  async runFullSync(reason, generation) {
    if (this.closed || this.failedSyncGeneration === generation) return;
    this.store.set('sync_pending', '1');
    this.setStatus('syncing');
    try {
      await this.rooms.reloadAll();
      if (this.options.onFullSync) await this.options.onFullSync({ reason });
      this.stats.fullSyncs += 1;
      this.syncedThisPage = true;
      this.store.set('sync_pending', null);
      if (this.ws && this.authenticated) this.setStatus('live');
    } catch (error) {
      // Events queued behind the sync must not be applied on stale state: drop this socket's remaining work
      // unacked (the server re-sends it) and reconnect; the pending flag makes the next auth_ok sync again.
      this.failedSyncGeneration = generation;
      this.reportError(error);
      if (generation === this.generation) {
        this.abandon('full sync failed');
        this.scheduleReconnect();
      }
    }
  }

  async handleEvent(frame, generation) {
    if (this.failedSyncGeneration === generation) return;
    const id = frame.event_id;
    if (this.processed.has(id)) {
      this.stats.duplicates += 1;
    } else {
      try {
        if (typeof frame.action === 'string' && typeof frame.type !== 'string') await this.dispatchRoomPayload(frame);
        else if (this.options.onEvent) await this.options.onEvent(frame);
      } catch (error) {
        // A handler that throws must not block the queue forever: the event counts as applied.
        this.reportError(error);
      }
      this.processed.add(id);
      this.stats.applied += 1;
    }
    if (this.authenticated && this.send({ type: 'ack', event_id: id })) this.stats.acks += 1;
  }

  dispatchRoomPayload(payload) {
    this.conversations.apply(payload) || this.presence.apply(payload);
    this.roomPayloads.emit(payload);
  }
}

function defaultMessagingUrl(wsUrl) {
  const url = new URL(wsUrl, typeof location === 'undefined' ? undefined : location.href);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = '/messaging';
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/+$/, '');
}

/** The gateway's WebSocket URL for a page served by the node itself: ws(s)://<host>/ws. */
export function defaultSocketUrl() {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
}

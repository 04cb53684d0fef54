// Chat room demo (seed 003): ChurchApps rooms over the OrleansSync socket. A room is (churchId, conversationId);
// joining posts a connection row over REST, messages are sent over REST and fanned out to the room, and
// `attendance` payloads say who is watching. Works anonymously (best-effort socket) or signed in (reliable queue).
import { connect, defaultSocketUrl } from '/client/orleanssync.js';

const $ = id => document.getElementById(id);
const params = new URLSearchParams(location.search);
const chat = window.chatDemo = { connection: null, churchId: null, conversationId: null, leaveRoom: null, signedIn: false };
let tokenCache = null;

async function getToken() {
  if (!chat.signedIn) return null;
  if (params.get('token')) return params.get('token');
  if (tokenCache && tokenCache.expires > Date.now()) return tokenCache.token;
  const query = new URLSearchParams({ sub: chat.name.toLowerCase().replace(/\s+/g, '-'), name: chat.name, churchId: chat.churchId });
  const response = await fetch(`/dev/token?${query}`);
  if (!response.ok) throw new Error(`/dev/token answered ${response.status} (only mapped in Development; or pass ?token=)`);
  tokenCache = { token: await response.text(), expires: Date.now() + 50 * 60 * 1000 };
  return tokenCache.token;
}

function renderMessages() {
  const list = chat.connection.conversations.get(chat.churchId, chat.conversationId);
  $('messages').replaceChildren(...list.map(message => {
    const item = document.createElement('li');
    item.dataset.messageId = message.id;
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = message.displayName || 'Anonymous';
    const text = document.createElement('span');
    text.className = 'content';
    text.textContent = message.content;
    const when = document.createElement('span');
    when.className = 'when';
    when.textContent = message.timeSent ? new Date(message.timeSent).toLocaleTimeString() : '';
    item.append(who, text, when);
    return item;
  }));
  $('messages').scrollTop = $('messages').scrollHeight;
}

function renderPresence() {
  const { viewers, totalViewers } = chat.connection.presence.get(chat.churchId, chat.conversationId);
  $('viewer-count').textContent = String(totalViewers);
  $('viewers').replaceChildren(...viewers.map(viewer => {
    const item = document.createElement('li');
    item.textContent = viewer.displayName || 'Anonymous';
    return item;
  }));
}

async function join() {
  chat.name = $('name').value.trim();
  chat.churchId = $('church').value.trim();
  chat.signedIn = $('signed-in').checked;
  let conversationId = $('room').value.trim();
  $('setup-error').textContent = '';
  if (!chat.connection) {
    chat.connection = connect({
      url: defaultSocketUrl(),
      storageKey: 'chatDemo',
      getToken,
      syncOnLoad: false, // room state is re-read by the subscription manager itself (catch-up on join and after syncs)
      onError: error => { $('post-error').textContent = error.message || String(error); },
    });
    chat.connection.onStatus(status => { $('status').textContent = status; $('status').className = `status ${status}`; });
    chat.connection.conversations.subscribe((churchId, id) => { if (churchId === chat.churchId && id === chat.conversationId) renderMessages(); });
    chat.connection.presence.subscribe((churchId, id) => { if (churchId === chat.churchId && id === chat.conversationId) renderPresence(); });
  }
  if (!conversationId) {
    if (!chat.signedIn) throw new Error('anonymous visitors join an existing room: enter its conversation id');
    const [created] = await chat.connection.messaging.createConversations([{
      contentType: 'demo', contentId: 'chat', title: `${chat.name}'s room`, allowAnonymousPosts: true,
    }]);
    conversationId = created.id;
  }
  chat.conversationId = conversationId;
  const shareUrl = new URL(location.href);
  shareUrl.search = new URLSearchParams({ church: chat.churchId, room: conversationId }).toString();
  history.replaceState(null, '', shareUrl);
  $('room-title').textContent = `Room ${conversationId}`;
  $('share').textContent = `share: ${shareUrl}`;
  chat.leaveRoom = chat.connection.rooms.subscribe(chat.churchId, conversationId, { displayName: chat.name });
  $('setup').hidden = true;
  $('room-panel').hidden = false;
  renderMessages();
  renderPresence();
}

$('setup-form').addEventListener('submit', event => {
  event.preventDefault();
  join().catch(error => { $('setup-error').textContent = error.message || String(error); });
});

$('post-form').addEventListener('submit', async event => {
  event.preventDefault();
  const content = $('content').value.trim();
  if (!content) return;
  $('post-error').textContent = '';
  try {
    await chat.connection.messaging.sendMessage({ churchId: chat.churchId, conversationId: chat.conversationId, content, displayName: chat.name });
    // The message's own broadcast can arrive before this answer, and the next one may be typed meanwhile.
    if ($('content').value.trim() === content) $('content').value = '';
  } catch (error) {
    $('post-error').textContent = error.message || String(error);
  }
});

$('leave').addEventListener('click', async () => {
  await chat.leaveRoom?.();
  chat.leaveRoom = null;
  $('setup').hidden = false;
  $('room-panel').hidden = true;
});

if (params.get('church')) $('church').value = params.get('church');
if (params.get('room')) $('room').value = params.get('room');
if (params.get('name')) $('name').value = params.get('name');
if (params.get('anonymous') === '1') $('signed-in').checked = false;

// Photo gallery demo (seed 000): the list lives on the server; every tab of a user applies `added` / `removed`
// events once and re-reads the whole list when the client library asks for a full sync.
import { connect, defaultSocketUrl } from '/client/orleanssync.js';

const $ = id => document.getElementById(id);
const params = new URLSearchParams(location.search);
const photos = new Map();
const log = [];

// Observable state for people (the Delivery panel) and for the end-to-end tests.
const demo = window.photoDemo = {
  user: null, connection: null, fullSyncs: 0, fullSyncReasons: [], eventsApplied: 0, appliedEventIds: [],
  photoIds: () => [...photos.keys()],
};

let tokenCache = null;

async function getToken() {
  if (params.get('token')) return params.get('token');
  if (tokenCache && tokenCache.expires > Date.now()) return tokenCache.token;
  const query = new URLSearchParams({ sub: demo.user, name: demo.user });
  const response = await fetch(`/dev/token?${query}`);
  if (!response.ok) throw new Error(`/dev/token answered ${response.status} (only mapped in Development; or pass ?token=)`);
  tokenCache = { token: await response.text(), expires: Date.now() + 50 * 60 * 1000 };
  return tokenCache.token;
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${await getToken()}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) {
    const text = await response.text();
    throw new Error(`${method} ${path}: ${response.status} ${text}`);
  }
  return response.status === 204 ? null : response.json();
}

function note(text) {
  log.unshift(`${new Date().toLocaleTimeString()}  ${text}`);
  log.length = Math.min(log.length, 40);
  $('log').textContent = log.join('\n');
}

function render() {
  const grid = $('photos');
  grid.replaceChildren(...[...photos.values()].map(photo => {
    const card = document.createElement('figure');
    card.className = 'photo';
    card.dataset.photoId = photo.id;
    const tile = document.createElement('div');
    tile.className = 'tile';
    tile.style.background = photo.color;
    tile.textContent = (photo.title || '?').trim().charAt(0).toUpperCase();
    const caption = document.createElement('figcaption');
    caption.className = 'caption';
    caption.textContent = photo.title;
    const remove = document.createElement('button');
    remove.className = 'remove';
    remove.title = `Remove ${photo.title}`;
    remove.textContent = '×';
    remove.addEventListener('click', () => api('DELETE', `/demo/api/photos/${encodeURIComponent(photo.id)}`)
      .catch(error => { $('add-error').textContent = error.message; }));
    card.append(tile, caption, remove);
    return card;
  }));
  $('empty').hidden = photos.size > 0;
  renderStats();
}

function renderStats() {
  const c = demo.connection;
  if (!c) return;
  const s = c.stats;
  $('stats').textContent = `session ${c.sessionId || '–'} · applied ${s.applied} · duplicates ${s.duplicates} · ` +
    `acks ${s.acks} · full syncs ${s.fullSyncs} · connects ${s.connects}`;
}

// Full sync: replace the list with the server's. Events that arrive meanwhile are applied after it by the library.
async function fullSync({ reason }) {
  const { photos: list } = await api('GET', '/demo/api/photos');
  photos.clear();
  for (const photo of list) photos.set(photo.id, photo);
  demo.fullSyncs += 1;
  demo.fullSyncReasons.push(reason);
  note(`full sync (${reason}): ${list.length} photos`);
  render();
}

// Events are idempotent by design: `added` is an upsert, `removed` of a missing photo does nothing.
function applyEvent(event) {
  if (event.type === 'added') photos.set(event.id, { id: event.id, title: event.title, color: event.color, addedAt: event.addedAt });
  else if (event.type === 'removed') photos.delete(event.id);
  else return;
  demo.eventsApplied += 1;
  demo.appliedEventIds.push(event.event_id);
  note(`${event.type} ${event.id} (event ${event.event_id})`);
  render();
}

async function signIn(user) {
  demo.user = user;
  $('signin-error').textContent = '';
  try {
    await getToken(); // fail here, visibly, rather than in the reconnect loop
  } catch (error) {
    $('signin-error').textContent = error.message;
    return;
  }
  sessionStorage.setItem('photoDemo:user', user);
  $('signin').hidden = true;
  $('gallery').hidden = false;
  $('who').textContent = `signed in as ${user}`;
  const connection = connect({
    url: defaultSocketUrl(),
    storageKey: 'photoDemo',
    getToken,
    onEvent: applyEvent,
    onFullSync: fullSync,
    onError: error => note(`error: ${error.message || error}`),
  });
  connection.onStatus(status => {
    $('status').textContent = status;
    $('status').className = `status ${status}`;
    note(`status ${status}`);
    renderStats();
  });
  demo.connection = connection;
}

$('signin-form').addEventListener('submit', event => {
  event.preventDefault();
  const user = $('user').value.trim();
  if (user) signIn(user);
});

$('add-form').addEventListener('submit', async event => {
  event.preventDefault();
  const title = $('title').value.trim();
  if (!title) return;
  $('add-error').textContent = '';
  try {
    await api('POST', '/demo/api/photos', { title, color: $('color').value });
    // The photo's own event can arrive before this answer, and the person may have typed the next title meanwhile.
    if ($('title').value.trim() === title) $('title').value = '';
  } catch (error) {
    $('add-error').textContent = error.message;
  }
});

$('signout').addEventListener('click', () => {
  demo.connection?.close();
  demo.connection = null;
  sessionStorage.removeItem('photoDemo:user');
  photos.clear();
  render();
  $('signin').hidden = false;
  $('gallery').hidden = true;
  $('status').textContent = 'signed out';
  $('status').className = 'status';
});

setInterval(renderStats, 500); // acks and duplicates happen after rendering; keep the Delivery line current

const remembered = params.get('user') || sessionStorage.getItem('photoDemo:user');
if (remembered) {
  $('user').value = remembered;
  signIn(remembered);
}
render();

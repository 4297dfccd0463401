// chibo's service worker (issue 22): a secretary in a village hall without signal.
//
// Served from the site's root by chibo.portal.offline, which sets self.CHIBO_SW first.
// - Static files: from its cache (their addresses carry their content's hash).
// - The pages of the user's current and next meetings (meeting page, attendance, live
//   minutes): kept when the user opens their home or a meeting page online, asked from
//   the network first and shown from the copy when there is no connection.
// - The saves of the live minutes and the attendance made without a connection: queued in
//   IndexedDB, each with the meeting's version it was made on, and sent in order when the
//   connection returns. A save the server refuses (its version check, or the form) is kept
//   and shown to the user until dismissed, never dropped.
// - Everything kept is its user's own: another user, or logging out, drops it
//   (docs/security.md, "The phone's copies").
"use strict";

const CONFIG = self.CHIBO_SW;
const STATIC_CACHE = `chibo-static-${CONFIG.version}`;
const PAGES_PREFIX = "chibo-pages-";
const KEPT_AT = "X-Chibo-Kept-At";
// How long a navigation waits for the network before the kept copy is shown.
const NAVIGATION_TIMEOUT_MS = 4000;
const PRECACHE_EVERY_MS = 60 * 1000;
const QUEUED = CONFIG.queued.map((pattern) => new RegExp(pattern));
// Sent on the newest version of this phone's own saves, never queued (approval is done
// with a connection).
const REBASED = CONFIG.rebased.map((pattern) => new RegExp(pattern));
// The request headers a queued save is sent again with.
const KEPT_HEADERS = ["content-type", "x-csrftoken", "hx-request", "hx-target", "hx-trigger", "hx-current-url"];

// --- IndexedDB: the queue, the refused saves, and a few facts -------------------------------

const DB_NAME = "chibo-offline";

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("queue", { keyPath: "id", autoIncrement: true });
      db.createObjectStore("refused", { keyPath: "id", autoIncrement: true });
      db.createObjectStore("meta", { keyPath: "key" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function tx(store, mode, work) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = db.transaction(store, mode);
      let result;
      Promise.resolve(work(transaction.objectStore(store))).then((value) => { result = value; });
      transaction.oncomplete = () => resolve(result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  } finally {
    db.close();
  }
}

const asPromise = (request) =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

const all = (store) => tx(store, "readonly", (s) => asPromise(s.getAll()));
const put = (store, value) => tx(store, "readwrite", (s) => asPromise(s.put(value)));
const remove = (store, key) => tx(store, "readwrite", (s) => asPromise(s.delete(key)));
const clear = (store) => tx(store, "readwrite", (s) => asPromise(s.clear()));

async function getMeta(key, fallback) {
  const row = await tx("meta", "readonly", (s) => asPromise(s.get(key)));
  return row ? row.value : fallback;
}
const setMeta = (key, value) => put("meta", { key, value });

// --- whose worker this is ------------------------------------------------------------------

async function currentUser() {
  return getMeta("user", "");
}

async function dropPages() {
  for (const name of await caches.keys()) {
    if (name.startsWith(PAGES_PREFIX)) await caches.delete(name);
  }
  await setMeta("pages", []);
}

// The page says whose session it belongs to. A page without a user (the login page) drops
// the kept pages, personal as they are; the queue waits for its user to log in again. A
// page of another user drops everything of the previous one.
async function setUser(key) {
  const current = await currentUser();
  if (!key) {
    if (current) await dropPages();
    return;
  }
  if (key === current) return;
  await dropPages();
  await clear("queue");
  await clear("refused");
  await clear("meta");
  await setMeta("user", key);
}

async function forgetEverything() {
  await dropPages();
  await clear("queue");
  await clear("refused");
  await clear("meta");
}

async function pagesCache() {
  const user = await currentUser();
  return user ? caches.open(PAGES_PREFIX + user) : null;
}

// --- static files and kept pages -----------------------------------------------------------

async function staticFile(request) {
  const cache = await caches.open(STATIC_CACHE);
  const hit = await cache.match(request);
  // Hashed addresses never change their content; unhashed ones (DEBUG) are asked first.
  if (hit && CONFIG.hashed) return hit;
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    if (hit) return hit;
    throw error;
  }
}

const pathOf = (url) => new URL(url, self.location.origin).pathname;

async function keepPage(cache, path, response) {
  const html = await response.text();
  const headers = new Headers(response.headers);
  headers.set(KEPT_AT, String(Date.now()));
  await cache.put(path, new Response(html, { status: 200, headers }));
  return html;
}

// The style sheets and scripts a kept page names, kept with it.
async function keepAssets(html) {
  const cache = await caches.open(STATIC_CACHE);
  const wanted = new Set();
  for (const match of html.matchAll(/(?:href|src)="([^"]+)"/g)) {
    const path = match[1].replace(/&amp;/g, "&");
    if (path.startsWith(CONFIG.static)) wanted.add(path);
  }
  for (const path of wanted) {
    if (CONFIG.hashed && (await cache.match(path))) continue;
    try {
      const response = await fetch(path);
      if (response.ok) await cache.put(path, response);
    } catch (error) {
      return; // the connection went: the rest next time
    }
  }
}

function fresh(response) {
  const kept = Number(response.headers.get(KEPT_AT) || 0);
  return Date.now() - kept < CONFIG.pageMaxAge * 1000;
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then(
      (value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); },
    );
  });
}

async function navigate(event) {
  const request = event.request;
  const path = pathOf(request.url);
  const cache = await pagesCache();
  const kept = cache ? (await getMeta("pages", [])).includes(path) : false;
  const copy = kept ? await cache.match(path) : undefined;
  const network = fetch(request);
  try {
    const response = await (copy ? withTimeout(network, NAVIGATION_TIMEOUT_MS) : network);
    if (kept && response.ok && !response.redirected) {
      // The copy follows what the user last saw online.
      event.waitUntil(keepPage(cache, path, response.clone()));
    }
    return response;
  } catch (error) {
    if (copy && fresh(copy)) return copy;
    const fallback = cache ? await cache.match(CONFIG.fallback) : undefined;
    if (fallback) return fallback;
    throw error;
  }
}

let precaching = null;

// Keep the pages of the user's current and next meetings (listed by the server).
async function precache(force) {
  const user = await currentUser();
  if (!user) return;
  const last = await getMeta("precachedAt", 0);
  if (!force && Date.now() - last < PRECACHE_EVERY_MS) return;
  let list;
  try {
    const response = await fetch(CONFIG.pages, { credentials: "same-origin", cache: "no-store" });
    if (!response.ok || response.redirected) return;
    list = await response.json();
  } catch (error) {
    return;
  }
  if (list.user !== user) {
    // The session belongs to someone else than the pages kept: start again for them.
    await setUser(list.user);
    if (!list.user) return;
  }
  const cache = await pagesCache();
  const pages = [...list.pages, list.fallback];
  for (const path of pages) {
    try {
      const response = await fetch(path, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok || response.redirected) continue;
      await keepAssets(await keepPage(cache, path, response));
    } catch (error) {
      return; // the connection went
    }
  }
  for (const request of await cache.keys()) {
    if (!pages.includes(pathOf(request.url))) await cache.delete(request);
  }
  await setMeta("pages", pages);
  await setMeta("precachedAt", Date.now());
  await broadcast({ type: "kept", pages });
}

function precacheOnce(force) {
  if (!precaching) precaching = precache(force).finally(() => { precaching = null; });
  return precaching;
}

// After a save online, the kept copies of the meeting's pages are read again (a few
// seconds later, once the typing stops), so that a page opened offline shows it.
let refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => { precacheOnce(true); }, 5000);
}

// --- the queue of saves --------------------------------------------------------------------

function matching(patterns, path) {
  for (const pattern of patterns) {
    const match = pattern.exec(path);
    if (match) return match[1];
  }
  return null;
}
const meetingOf = (path) => matching(QUEUED, path);

const versionOf = (body) => new URLSearchParams(body).get("version") || "";

function withVersion(body, version) {
  const params = new URLSearchParams(body);
  if (params.has("version")) params.set("version", version);
  return params.toString();
}

// What a save replaces when it is queued again before being sent: the same text field, the
// head, the vote, the attendance (a speech or a task adds, and is never replaced).
function slot(path, body) {
  if (/\/(speech|task)\/$/.test(path)) return null;
  const field = new URLSearchParams(body).get("field");
  return field ? `${path}#${field}` : path;
}

// The versions this phone's own saves made, meeting by meeting: a save made on version v
// is sent on the newest version this phone's own saves led v to, since nobody else wrote
// in between (otherwise the first of them is refused, and so are the next).
async function follow(meeting, version) {
  const links = await getMeta(`chain:${meeting}`, {});
  let current = version;
  for (let steps = 0; links[current] && steps < 1000; steps += 1) current = links[current];
  return current;
}

async function link(meeting, from, to) {
  const key = `chain:${meeting}`;
  const links = await getMeta(key, {});
  links[from] = String(to);
  const entries = Object.entries(links);
  await setMeta(key, Object.fromEntries(entries.slice(-200)));
}

async function queued(user) {
  return (await all("queue")).filter((entry) => entry.user === user).sort((a, b) => a.id - b.id);
}

async function enqueue(entry) {
  const waiting = await queued(entry.user);
  const same = entry.slot && waiting.find((e) => e.slot === entry.slot);
  if (same) {
    // Typed again: the newer text replaces the older, on the version the first was made on.
    same.body = withVersion(entry.body, versionOf(same.body));
    same.created = entry.created;
    await put("queue", same);
    return same;
  }
  const id = await put("queue", entry);
  return { ...entry, id };
}

function keptHeaders(request) {
  const headers = {};
  for (const name of KEPT_HEADERS) {
    const value = request.headers.get(name);
    if (value) headers[name] = value;
  }
  return headers;
}

function queuedAnswer(request, entry, meeting) {
  if (request.mode === "navigate") {
    // The attendance page's own form: back to the meeting's page (kept), whose banner
    // counts what waits.
    return Response.redirect(new URL(`../`, request.url).href, 303);
  }
  return new Response("", {
    status: 202,
    headers: {
      "HX-Reswap": "none",
      "HX-Trigger": JSON.stringify({ "chibo:queued": { id: entry.id, meeting } }),
    },
  });
}

async function save(event) {
  const request = event.request;
  const path = pathOf(request.url);
  const meeting = meetingOf(path) ?? matching(REBASED, path);
  const queueable = meetingOf(path) !== null;
  const user = await currentUser();
  const body = await request.clone().text();
  const entry = {
    user,
    meeting,
    url: path,
    body,
    headers: keptHeaders(request),
    slot: slot(path, body),
    created: Date.now(),
  };
  if (queueable && user && (await queued(user)).some((e) => e.meeting === meeting)) {
    // Saves of this meeting wait already: this one goes behind them.
    const kept = await enqueue(entry);
    event.waitUntil(drainOnce());
    await broadcastStatus();
    return queuedAnswer(request, kept, meeting);
  }
  const version = versionOf(body);
  const sent = version ? await follow(meeting, version) : version;
  let response;
  try {
    response = await fetch(request.url, {
      method: "POST",
      body: version ? withVersion(body, sent) : body,
      headers: request.headers,
      credentials: "same-origin",
      redirect: request.mode === "navigate" ? "manual" : "follow",
    });
  } catch (error) {
    if (!user || !queueable) throw error;
    const kept = await enqueue(entry);
    await broadcastStatus();
    return queuedAnswer(request, kept, meeting);
  }
  const after = response.headers.get("X-Chibo-Version");
  if (after && !response.headers.get("X-Chibo-Refused") && sent) {
    await link(meeting, sent, after);
  }
  if (response.ok || response.type === "opaqueredirect") refreshSoon();
  return response;
}

let draining = null;

function drainOnce() {
  if (!draining) {
    draining = drain().finally(() => {
      draining = null;
      return broadcastStatus();
    });
  }
  return draining;
}

async function drain() {
  const user = await currentUser();
  if (!user) return;
  await setMeta("login", false);
  await broadcastStatus(true);
  for (;;) {
    const [entry] = await queued(user);
    if (!entry) return;
    const version = versionOf(entry.body);
    const sent = version ? await follow(entry.meeting, version) : version;
    let response;
    try {
      response = await fetch(entry.url, {
        method: "POST",
        body: version ? withVersion(entry.body, sent) : entry.body,
        // Always as htmx: the answer is then the part of the page, with the headers below.
        headers: { ...entry.headers, "hx-request": "true" },
        credentials: "same-origin",
      });
    } catch (error) {
      return; // still no connection
    }
    if (response.redirected && pathOf(response.url) === CONFIG.login) {
      await setMeta("login", true); // the session ended: kept until the user logs in
      return;
    }
    const html = await response.text();
    const refused = response.headers.get("X-Chibo-Refused") || (response.ok ? "" : String(response.status));
    const after = response.headers.get("X-Chibo-Version");
    if (refused) {
      // Kept before it leaves the queue: a refused save is never lost on the way.
      const { id, ...rest } = entry;
      await put("refused", { ...rest, queued: id, html, refused, answered: Date.now() });
    } else if (after && sent) {
      await link(entry.meeting, sent, after);
    }
    await remove("queue", entry.id);
    await broadcast({
      type: "sent",
      id: entry.id,
      meeting: entry.meeting,
      target: entry.headers["hx-target"] || "",
      html,
      refused,
      from: version,
      version: after || "",
    });
    await broadcastStatus(true);
  }
}

// --- talking to the pages ------------------------------------------------------------------

async function broadcast(message) {
  const clients = await self.clients.matchAll({ includeUncontrolled: true, type: "window" });
  for (const client of clients) client.postMessage(message);
}

async function status(sending) {
  const user = await currentUser();
  const waiting = user ? await queued(user) : [];
  const refused = user ? (await all("refused")).filter((e) => e.user === user) : [];
  return {
    type: "status",
    waiting: waiting.length,
    sending: Boolean(sending) && waiting.length > 0,
    login: Boolean(await getMeta("login", false)),
    refused: refused.map((e) => ({ id: e.id, url: e.url, body: e.body, html: e.html, refused: e.refused })),
  };
}

async function broadcastStatus(sending) {
  await broadcast(await status(sending));
}

async function onMessage(event) {
  const message = event.data || {};
  if (message.type === "hello") {
    await setUser(message.user || "");
    if (event.source) event.source.postMessage(await status(false));
    if (message.user && message.online) {
      await drainOnce();
      if (message.keep) await precacheOnce(false);
    }
  } else if (message.type === "online") {
    await drainOnce();
  } else if (message.type === "queue") {
    const user = await currentUser();
    const meeting = meetingOf(pathOf(message.url || ""));
    if (!user || meeting === null) return;
    const body = String(message.body || "");
    const kept = await enqueue({
      user,
      meeting,
      url: pathOf(message.url),
      body,
      headers: Object.fromEntries(
        Object.entries(message.headers || {}).filter(([name]) => KEPT_HEADERS.includes(name)),
      ),
      slot: slot(pathOf(message.url), body),
      created: Date.now(),
    });
    if (event.source) event.source.postMessage({ type: "queued", token: message.token, id: kept.id, meeting });
    await broadcastStatus(false);
  } else if (message.type === "dismiss") {
    await remove("refused", Number(message.id));
    await broadcastStatus(false);
  } else if (message.type === "logout") {
    await forgetEverything();
  }
}

// --- the worker's life ---------------------------------------------------------------------

self.addEventListener("install", () => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("chibo-static-") && name !== STATIC_CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("message", (event) => {
  event.waitUntil(onMessage(event));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST") {
    if (meetingOf(url.pathname) !== null || matching(REBASED, url.pathname) !== null) {
      event.respondWith(save(event));
    }
    return;
  }
  if (request.method !== "GET") return;
  if (url.pathname.startsWith(CONFIG.static)) {
    event.respondWith(staticFile(request));
  } else if (request.mode === "navigate") {
    event.respondWith(navigate(event));
  }
});

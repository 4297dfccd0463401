// The phone without signal (issue 22), the page's side: registers the service worker
// (chibo/sw.js, served at the root), tells it whose session this page belongs to, and shows
// its news in the banner (lib/_offline_banner.html): no connection, how many changes wait,
// the changes the server refused. No inline script: the Content-Security-Policy forbids it.
"use strict";

(() => {
  const banner = document.getElementById("offline-banner");
  if (!banner || !("serviceWorker" in navigator)) return;
  const text = banner.dataset;
  const user = text.user || "";
  const container = navigator.serviceWorker;

  const toWorker = (message) =>
    container.getRegistration().then((registration) => {
      const worker = registration && (registration.active || registration.waiting || registration.installing);
      if (worker) worker.postMessage(message);
    });

  if (!user) {
    // No one is logged in here: the pages kept for the last user go.
    toWorker({ type: "hello", user: "" });
    return;
  }

  // The home page and a meeting page keep the pages of the current and next meetings.
  const path = window.location.pathname;
  const keep = path === (text.home || "/") || /\/meetings\/\d+\/$/.test(path);

  let last = { waiting: 0, sending: false, login: false, refused: [] };

  const state = banner.querySelector(".offline-state");
  const refusedBox = banner.querySelector(".offline-refused");

  function render() {
    const lines = [];
    if (!navigator.onLine) lines.push(text.offline);
    if (last.waiting === 1) lines.push(text.waitingOne);
    else if (last.waiting > 1) lines.push(text.waitingMany.replace("{n}", String(last.waiting)));
    if (last.sending && navigator.onLine) lines.push(text.sending);
    if (last.login) lines.push(text.login);
    state.textContent = lines.join(" ");
    renderRefused();
    banner.hidden = lines.length === 0 && last.refused.length === 0;
    banner.dataset.waiting = String(last.waiting);
  }

  // What the user had typed, read back from the queued form.
  function typed(body) {
    const params = new URLSearchParams(body);
    const parts = [];
    for (const name of ["text", "gist", "title", "votes_for", "votes_against", "votes_abstain"]) {
      const value = params.get(name);
      if (value) parts.push(value);
    }
    return parts.join(" · ");
  }

  function message(html) {
    const doc = new DOMParser().parseFromString(html || "", "text/html");
    const alert = doc.querySelector(
      "[role=alert] strong, [role=alert] li, .message.error, .field-error, small[id$=-error], [role=alert]",
    );
    return ((alert || doc.body).textContent || "").replace(/\s+/g, " ").trim();
  }

  function renderRefused() {
    const list = refusedBox.querySelector("ul");
    refusedBox.hidden = last.refused.length === 0;
    refusedBox.querySelector("p").textContent = text.refused;
    list.replaceChildren(
      ...last.refused.map((entry) => {
        const item = document.createElement("li");
        item.dataset.refusedId = String(entry.id);
        const said = document.createElement("p");
        said.textContent = message(entry.html) || entry.refused;
        const quote = document.createElement("blockquote");
        quote.textContent = typed(entry.body);
        const dismiss = document.createElement("button");
        dismiss.type = "button";
        dismiss.className = "secondary outline";
        dismiss.textContent = text.dismiss;
        dismiss.addEventListener("click", () => toWorker({ type: "dismiss", id: entry.id }));
        item.append(said, quote, dismiss);
        return item;
      }),
    );
  }

  const versionField = () => document.getElementById("live-version");

  // A save that failed without reaching the worker (a page it did not control yet, or a
  // worker that could not start without a network): handed to it to queue all the same.
  const waiting = new Map();
  let tokens = 0;
  document.addEventListener("htmx:sendError", (event) => {
    const config = event.detail && event.detail.requestConfig;
    if (!config || config.verb !== "post" || !(config.formData instanceof FormData)) return;
    const body = new URLSearchParams();
    for (const [name, value] of config.formData) {
      if (typeof value === "string") body.append(name, value);
    }
    const headers = { "content-type": "application/x-www-form-urlencoded" };
    for (const [name, value] of Object.entries(config.headers || {})) {
      headers[name.toLowerCase()] = String(value);
    }
    tokens += 1;
    waiting.set(tokens, event.detail.elt);
    toWorker({
      type: "queue",
      token: tokens,
      url: new URL(config.path, window.location.href).pathname,
      body: body.toString(),
      headers,
    });
  });

  container.addEventListener("message", (event) => {
    const data = event.data || {};
    if (data.type === "status") {
      last = data;
      render();
    } else if (data.type === "sent") {
      // A save made without a connection has been answered: its part of the page, if this
      // page shows it, takes the answer (saved, or the conflict with both texts).
      const target = data.target && document.getElementById(data.target);
      if (target && window.htmx && data.html) {
        window.htmx.swap(target, data.html, { swapStyle: "outerHTML" });
      }
      // The page goes on from the version this phone's own saves reached.
      const field = versionField();
      if (field && !data.refused && Number(data.version) > Number(field.value)) {
        field.value = data.version;
      }
    } else if (data.type === "queued") {
      const element = waiting.get(data.token);
      waiting.delete(data.token);
      if (element && element.isConnected) {
        element.dispatchEvent(new CustomEvent("chibo:queued", { bubbles: true, detail: data }));
      }
    }
  });
  container.startMessages();

  container
    .register(text.sw, { scope: new URL(".", new URL(text.sw, window.location.href)).pathname })
    .then(() => container.ready)
    .then(() => toWorker({ type: "hello", user, online: navigator.onLine, keep }))
    .catch(() => {});

  window.addEventListener("online", () => {
    render();
    toWorker({ type: "online" });
  });
  window.addEventListener("offline", render);
  render();
  // The connection may come back without an "online" event (or before the worker can use
  // it): while changes wait, try again every few seconds.
  setInterval(() => {
    if (last.waiting > 0 && navigator.onLine) toWorker({ type: "online" });
  }, 3000);

  // A save the worker kept for later: said where it was made.
  document.body.addEventListener("chibo:queued", (event) => {
    const element = event.target;
    if (!(element instanceof Element)) return;
    const status = document.getElementById(element.getAttribute("aria-describedby") || "");
    if (status && status.classList.contains("save-status")) {
      status.textContent = text.queued;
      status.classList.add("queued-note");
      return;
    }
    const form = element.closest("form") || element;
    let note = form.querySelector(".queued-note");
    if (!note) {
      note = document.createElement("p");
      note.className = "queued-note";
      note.setAttribute("role", "status");
      form.prepend(note);
    }
    note.textContent = text.queued;
    // A speech or a task is added to its list at once, marked as waiting.
    const list = form.closest(".speeches, #live-tasks");
    if (list && form instanceof HTMLFormElement) {
      const data = new FormData(form);
      const select = form.querySelector("select[name=member], select[name=owner]");
      const who = select instanceof HTMLSelectElement && select.selectedIndex > 0
        ? select.options[select.selectedIndex].text : "";
      const item = document.createElement("li");
      item.className = "queued";
      item.textContent = [who, data.get("gist") || data.get("title") || ""].filter(Boolean).join(": ");
      let ul = list.querySelector("ul");
      if (!ul) {
        ul = document.createElement("ul");
        (list.querySelector("details") || form).before(ul);
      }
      ul.append(item);
      form.reset();
    }
  });

  // Logging out drops what this phone kept; changes still waiting are lost with it.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.action.endsWith("/accounts/logout/")) return;
    if (last.waiting > 0 && !window.confirm(text.logout)) {
      event.preventDefault();
      return;
    }
    toWorker({ type: "logout" });
  });
})();

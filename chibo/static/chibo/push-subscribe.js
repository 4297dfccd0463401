// "Receive notifications on this phone" (notifications/settings.html): ask the browser for
// Web Push through the page's service worker and send the subscription to the server (a
// POST with the CSRF token). Without a service worker or permission, say so.
"use strict";

(() => {
  const button = document.getElementById("push-enable");
  const status = document.getElementById("push-status");
  if (!(button instanceof HTMLButtonElement) || !status) return;
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    button.disabled = true;
    status.textContent = button.dataset.denied || "";
    return;
  }

  // The public VAPID key, base64url, as the bytes PushManager wants.
  function keyBytes(base64url) {
    const padded = base64url.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(padded + "=".repeat((4 - (padded.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": button.dataset.csrf || "" },
      body: JSON.stringify(body),
    });
  }

  button.addEventListener("click", async () => {
    try {
      const registration = await navigator.serviceWorker.ready;
      const existing = await registration.pushManager.getSubscription();
      if (existing) {
        await post(button.dataset.unsubscribe, { endpoint: existing.endpoint });
        await existing.unsubscribe();
        window.location.reload();
        return;
      }
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(button.dataset.key || ""),
      });
      const response = await post(button.dataset.subscribe, subscription.toJSON());
      if (response.ok) window.location.reload();
    } catch (error) {
      status.textContent = button.dataset.denied || String(error);
    }
  });

  navigator.serviceWorker.ready.then(async (registration) => {
    if (await registration.pushManager.getSubscription()) {
      button.textContent = button.dataset.off || button.textContent;
    }
  });
})();

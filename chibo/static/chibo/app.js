// chibo's few behaviours, without inline script: the Content-Security-Policy forbids it.
"use strict";

document.addEventListener("click", (event) => {
  const target = event.target;
  if (!(target instanceof Element)) return;
  // A read-only address to copy: select it all at the first touch.
  if (target.matches("input[data-select]")) target.select();
  // "Print" on the printable pages.
  if (target.closest("[data-print]")) window.print();
  // "Copy the address": to the clipboard, the button saying so for a moment.
  const copy = target.closest("button[data-copy]");
  if (copy instanceof HTMLButtonElement) copyField(copy);
});

// The tree's "+" button: once its children are loaded it stays open.
document.addEventListener("htmx:afterRequest", (event) => {
  const element = event.detail && event.detail.elt;
  if (element instanceof HTMLButtonElement && element.matches("[data-expands]")) {
    element.setAttribute("aria-expanded", "true");
    element.disabled = true;
  }
});

function copyField(button) {
  const field = document.getElementById(button.dataset.copy || "");
  if (!(field instanceof HTMLInputElement)) return;
  const done = () => {
    const label = button.textContent;
    button.textContent = button.dataset.copied || label;
    setTimeout(() => { button.textContent = label; }, 2000);
  };
  field.select();
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, () => field.select());
  } else if (document.execCommand("copy")) {
    // Plain http (the demo): the older way, from the selection.
    done();
  }
}

// The live minutes: a member present found by name, with or without diacritics.
const fold = (text) =>
  text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();

document.addEventListener("input", (event) => {
  const target = event.target;
  if (!(target instanceof HTMLInputElement) || !target.dataset.filter) return;
  const select = document.getElementById(target.dataset.filter);
  if (!(select instanceof HTMLSelectElement)) return;
  const wanted = fold(target.value.trim());
  let first = null;
  for (const option of select.options) {
    const shown = !option.value || fold(option.text).includes(wanted);
    option.hidden = !shown;
    if (shown && option.value && first === null) first = option;
  }
  // The first match is chosen: one tap fewer on a phone.
  if (wanted && first !== null) select.value = first.value;
});

// An autosaved text says it is being saved until the server answers "saved".
document.addEventListener("htmx:beforeRequest", (event) => {
  const element = event.detail && event.detail.elt;
  if (!(element instanceof HTMLTextAreaElement) || !element.dataset.saving) return;
  const status = document.getElementById(element.getAttribute("aria-describedby") || "");
  if (status && !status.classList.contains("conflict")) {
    status.textContent = element.dataset.saving || "…";
  }
});

// Activation: once the passkey is registered (django-otp-webauthn's event), go on to the
// page that records it.
document.addEventListener("otp_webauthn.register_complete", () => {
  const done = document.querySelector("[data-passkey-done]");
  if (done) window.location.assign(done.getAttribute("data-passkey-done"));
});

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

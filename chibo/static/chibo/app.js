// chibo's few behaviours, without inline script: the Content-Security-Policy forbids it.
"use strict";

document.addEventListener("click", (event) => {
  const target = event.target;
  if (!(target instanceof Element)) return;
  // A read-only address to copy: select it all at the first touch.
  if (target.matches("input[data-select]")) target.select();
  // "Print" on the printable pages.
  if (target.closest("[data-print]")) window.print();
});

// The tree's "+" button: once its children are loaded it stays open.
document.addEventListener("htmx:afterRequest", (event) => {
  const element = event.detail && event.detail.elt;
  if (element instanceof HTMLButtonElement && element.matches("[data-expands]")) {
    element.setAttribute("aria-expanded", "true");
    element.disabled = true;
  }
});

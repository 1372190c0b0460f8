// The console's own script: small, no inline code (the Content-Security-Policy forbids it).
// 1. Every htmx request carries the page's CSRF token (header X-CSRF-Token).
// 2. Drop zones: dropping a file on a `.dropzone` puts it into the file input inside it.
"use strict";

document.addEventListener("htmx:configRequest", (event) => {
  const token = document.body.dataset.csrf;
  if (token) {
    event.detail.headers["X-CSRF-Token"] = token;
  }
});

function wireDropzone(zone) {
  const input = zone.querySelector("input[type=file]");
  const label = zone.querySelector("[data-file-name]");
  if (!input) {
    return;
  }
  const show = () => {
    if (label) {
      label.textContent = input.files.length ? input.files[0].name : "";
    }
  };
  input.addEventListener("change", show);
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("is-over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("is-over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("is-over");
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      show();
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".dropzone").forEach(wireDropzone);
});

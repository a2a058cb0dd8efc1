// Aurora Lab boot: starts main.wasm (the model and the page, in Go) with
// wasm_exec.js, which the build copies from the Go that built main.wasm.
//
// It sets window.auroraLab.ready, a promise the Go side resolves (with the
// API) after the first render; host pages and tests may await it before
// the WebAssembly has loaded. When the page cannot start, the promise is
// rejected, <html data-state="error"> is set and the reason is shown.
"use strict";
(() => {
  const root = document.documentElement;
  const api = window.auroraLab || {};
  window.auroraLab = api;
  let settle;
  api.ready = new Promise((resolve, reject) => { settle = { resolve, reject }; });
  // The Go side calls _boot.resolve(api) when the page has rendered.
  Object.defineProperty(api, "_boot", { value: settle, configurable: true });
  // A host that never awaits ready must not see an unhandled rejection;
  // the failure is shown on the page.
  api.ready.catch(() => {});

  const fail = (why) => {
    root.dataset.state = "error";
    const msg = "Aurora Lab could not start: " + why;
    const el = document.getElementById("boot-status");
    if (el) el.textContent = msg;
    settle.reject(new Error(msg));
  };

  if (typeof WebAssembly !== "object" || typeof Go !== "function") {
    fail("this browser lacks WebAssembly, or wasm_exec.js did not load.");
    return;
  }
  const go = new Go();
  WebAssembly.instantiateStreaming(fetch("main.wasm"), go.importObject)
    .then(({ instance }) => go.run(instance))
    .then(() => {
      // main() returns only when it could not start; it said why.
      if (root.dataset.state !== "error") fail("the model stopped.");
    })
    .catch((err) => fail(err && err.message ? err.message : String(err)));
})();

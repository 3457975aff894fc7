// An upload form (form.upload): drag and drop, then one bar that follows the bytes sent (XHR
// progress events), then the generation's stages over the websocket (a ticket from
// POST /api/v1/ws-tickets), and finally opens the dashboard's page. The form's hidden fields
// (a dashboard_id: refresh in place) are sent with the file.
"use strict";

(() => {
  const { api, el, showError, clearError, explain, ApiFailure } = Dashloom;

  function sizeOf(bytes) {
    if (bytes < 1024) return `${bytes} bytes`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }

  function wire(form) {
    const input = form.querySelector("input[type=file]");
    const zone = form.querySelector(".drop-zone");
    const bar = form.querySelector("progress");
    const phase = form.querySelector(".phase");
    const detail = form.querySelector(".detail");
    const error = form.querySelector(".error");

    function chosen() {
      const file = input.files[0];
      form.querySelector(".chosen").textContent = file ? `Chosen: ${file.name} (${sizeOf(file.size)})` : "";
    }

    function progress(stage, percent, text) {
      form.querySelector(".progress").hidden = false;
      form.dataset.stage = stage;
      phase.textContent = text;
      bar.value = percent;
      bar.setAttribute("aria-valuetext", `${text}: ${percent}%`);
    }

    function failed(reason) {
      progress("failed", 0, "The dashboard could not be generated");
      error.textContent = `The dashboard could not be generated: ${reason}.`;
    }

    function finished(dashboardId) {
      progress("completed", 100, "Dashboard ready");
      const link = el("a", { href: `/console/dashboards/${encodeURIComponent(dashboardId)}` }, "Open its page");
      detail.replaceChildren("Your dashboard is ready. ", link);
      window.setTimeout(() => window.location.assign(link.href), 800);
    }

    async function poll(generationId) {  // the websocket went away: ask until it ends
      for (;;) {
        try {
          const { data } = await api("GET", `/api/v1/generations/${encodeURIComponent(generationId)}`);
          if (data.status === "completed") return finished(data.dashboard_id);
          if (data.status === "failed") return failed(data.error || data.error_code);
          progress("generating", data.percent, `Generating the dashboard: ${data.stage}`);
        } catch (failure) {
          return showError(error, failure);
        }
        await new Promise((resolve) => { setTimeout(resolve, 1000); });
      }
    }

    async function follow(generationId) {
      progress("generating", 0, "Generating the dashboard: queued");
      try {
        const { data } = await api("POST", "/api/v1/ws-tickets");
        const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
        const socket = new WebSocket(`${scheme}//${window.location.host}/api/v1/ws?ticket=${encodeURIComponent(data.ticket)}`);
        let done = false;
        socket.addEventListener("open", () => socket.send(JSON.stringify({ subscribe: [generationId] })));
        socket.addEventListener("message", (message) => {
          const frame = JSON.parse(message.data);
          if (frame.error) {
            done = true;
            showError(error, new ApiFailure(0, frame.code, frame.error));
          } else if (frame.status === "completed" || frame.status === "failed") {
            done = true;
            socket.close();
            if (frame.status === "completed") finished(frame.dashboard_id);
            else failed(frame.reason || frame.code);
          } else {
            progress("generating", frame.percent, `Generating the dashboard: ${frame.stage}`);
            detail.textContent = `${frame.stage}, ${frame.percent}%`;
          }
        });
        socket.addEventListener("close", () => { if (!done) poll(generationId); });
      } catch (failure) {
        poll(generationId);
      }
    }

    function send(body) {
      const request = new XMLHttpRequest();
      request.open("POST", "/api/v1/dashboards/generate");
      request.setRequestHeader("X-CSRF-Token", Dashloom.csrf);
      request.setRequestHeader("Accept", "application/json");
      request.setRequestHeader("Prefer", "respond-async");  // 202 at once: the stages come over the websocket
      request.setRequestHeader("Idempotency-Key", `console-${crypto.randomUUID()}`);
      request.upload.addEventListener("progress", (event) => {
        if (!event.lengthComputable) return;
        progress("uploading", Math.round((event.loaded / event.total) * 100), "Uploading the file");
        detail.textContent = `${sizeOf(event.loaded)} of ${sizeOf(event.total)} sent`;
      });
      request.upload.addEventListener("load", () => progress("uploaded", 100, "Uploaded; checking the file"));
      request.addEventListener("error", () => showError(error, new ApiFailure(0, "", explain(0))));
      request.addEventListener("load", () => {
        let answer = null;
        try { answer = JSON.parse(request.responseText); } catch (failure) { answer = null; }
        if (request.status >= 300 || !answer || !answer.success) {
          progress("failed", 0, "Upload refused");
          showError(error, new ApiFailure(request.status, answer && answer.code,
            explain(request.status, answer && answer.error)));
          return;
        }
        if (answer.data.status === "completed") finished(answer.data.dashboard_id);
        else follow(answer.data.generation_id);
      });
      progress("uploading", 0, "Uploading the file");
      request.send(body);
    }

    input.addEventListener("change", chosen);
    for (const name of ["dragenter", "dragover"]) {
      zone.addEventListener(name, (event) => { event.preventDefault(); zone.classList.add("over"); });
    }
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("over");
      if (event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        chosen();
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      error.textContent = "";
      const file = input.files[0];
      if (!file) {
        error.textContent = "Choose a file first (or drop one on the box).";
        input.focus();
        return;
      }
      const body = new FormData();
      body.append("file", file);
      for (const field of form.querySelectorAll("input[name]:not([type=file])")) {
        if (field.disabled || (field.type === "checkbox" && !field.checked)) continue;
        if (field.value.trim()) body.append(field.name, field.value.trim());
      }
      send(body);
    });
  }

  document.querySelectorAll("form.upload").forEach(wire);
})();

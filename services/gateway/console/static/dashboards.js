// Dashboards: the list (search, tenant and workspace filters, pages) and the upload, whose bar
// follows the bytes sent (XHR progress), then the generation's stages over the websocket.
"use strict";

(() => {
  const { api, el, when, showError, clearError, replaceRows } = Dashloom;
  const PAGE_SIZE = 20;
  const params = new URLSearchParams(window.location.search);
  const FILTERS = ["search", "tenant_id", "workspace_id"];

  function pageHref(page) {
    const next = new URLSearchParams(params);
    next.set("page", String(page));
    return `/console/dashboards?${next}`;
  }

  async function loadList() {
    for (const name of FILTERS) document.querySelector(`#filters [name="${name}"]`).value = params.get(name) || "";
    const page = Math.max(1, parseInt(params.get("page") || "1", 10) || 1);
    const query = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String((page - 1) * PAGE_SIZE) });
    for (const name of FILTERS) if (params.get(name)) query.set(name, params.get(name));
    try {
      const { data, pagination } = await api("GET", `/api/v1/dashboards?${query}`);
      replaceRows("dashboards", data.map(row));
      document.getElementById("list-empty").hidden = data.length > 0;
      const pages = Math.max(1, Math.ceil(pagination.total / PAGE_SIZE));
      document.getElementById("page-info").textContent = `Page ${page} of ${pages} · ${pagination.total} dashboards`;
      const previous = document.getElementById("page-previous");
      previous.hidden = page <= 1;
      previous.href = pageHref(page - 1);
      const next = document.getElementById("page-next");
      next.hidden = !pagination.has_more;
      next.href = pageHref(page + 1);
    } catch (error) {
      showError("upload-error", error);
    }
  }

  function row(dashboard) {
    return el("tr", { "data-dashboard": dashboard.id },
      el("td", {}, el("a", { href: `/console/dashboards/${encodeURIComponent(dashboard.id)}` }, dashboard.title || dashboard.id)),
      el("td", {}, dashboard.tenant_id || "—"),
      el("td", {}, dashboard.workspace_id || "—"),
      el("td", {}, String(dashboard.card_count)),
      el("td", {}, when(dashboard.created_at)),
      el("td", { class: "actions" },
        el("a", { href: `/api/v1/dashboards/${encodeURIComponent(dashboard.id)}/view` }, "Open", el("span", { class: "visually-hidden" }, ` ${dashboard.title}`))));
  }

  // The upload ------------------------------------------------------------------------------
  const form = document.getElementById("upload");
  const input = document.getElementById("upload-file");
  const zone = document.getElementById("drop-zone");
  const bar = document.getElementById("upload-bar");
  const phase = document.getElementById("upload-phase");
  const detail = document.getElementById("upload-detail");

  function chosen() {
    const file = input.files[0];
    document.getElementById("upload-chosen").textContent = file ? `Chosen: ${file.name} (${sizeOf(file.size)})` : "";
  }

  function sizeOf(bytes) {
    if (bytes < 1024) return `${bytes} bytes`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }

  function progress(stage, percent, text) {
    form.closest("section").querySelector(".progress").hidden = false;
    form.dataset.stage = stage;
    phase.textContent = text;
    bar.value = percent;
    bar.setAttribute("aria-valuetext", `${text}: ${percent}%`);
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
    clearError("upload-error");
    const file = input.files[0];
    if (!file) {
      document.getElementById("upload-error").textContent = "Choose a file first (or drop one on the box).";
      input.focus();
      return;
    }
    const body = new FormData();
    body.append("file", file);
    for (const name of ["title", "tenant_id", "workspace_id"]) {
      const value = form.elements[name].value.trim();
      if (value) body.append(name, value);
    }
    send(body);
  });

  function send(body) {
    const request = new XMLHttpRequest();
    request.open("POST", "/api/v1/dashboards/generate");
    request.setRequestHeader("X-CSRF-Token", Dashloom.csrf);
    request.setRequestHeader("Accept", "application/json");
    request.setRequestHeader("Prefer", "respond-async");  // 202 at once: the stages come over the websocket
    request.setRequestHeader("Idempotency-Key", `console-${crypto.randomUUID()}`);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) {
        const percent = Math.round((event.loaded / event.total) * 100);
        progress("uploading", percent, "Uploading the file");
        detail.textContent = `${sizeOf(event.loaded)} of ${sizeOf(event.total)} sent`;
      }
    });
    request.upload.addEventListener("load", () => progress("uploaded", 100, "Uploaded; checking the file"));
    request.addEventListener("error", () => showError("upload-error", new Dashloom.ApiFailure(0, "", Dashloom.explain(0))));
    request.addEventListener("load", () => {
      let answer = null;
      try { answer = JSON.parse(request.responseText); } catch (error) { answer = null; }
      if (request.status >= 300 || !answer || !answer.success) {
        progress("failed", 0, "Upload refused");
        showError("upload-error", new Dashloom.ApiFailure(request.status, answer && answer.code,
          Dashloom.explain(request.status, answer && answer.error)));
        return;
      }
      const data = answer.data;
      if (data.status === "completed") finished(data.dashboard_id);
      else follow(data.generation_id);
    });
    progress("uploading", 0, "Uploading the file");
    request.send(body);
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
          showError("upload-error", new Dashloom.ApiFailure(0, frame.code, frame.error));
        } else if (frame.status === "completed") {
          done = true;
          socket.close();
          finished(frame.dashboard_id);
        } else if (frame.status === "failed") {
          done = true;
          socket.close();
          failed(frame.reason || frame.code);
        } else {
          progress("generating", frame.percent, `Generating the dashboard: ${frame.stage}`);
          detail.textContent = `${frame.stage}, ${frame.percent}%`;
        }
      });
      socket.addEventListener("close", () => { if (!done) poll(generationId); });
    } catch (error) {
      poll(generationId);
    }
  }

  async function poll(generationId) {  // the websocket went away: ask until it ends
    for (;;) {
      try {
        const { data } = await api("GET", `/api/v1/generations/${encodeURIComponent(generationId)}`);
        if (data.status === "completed") return finished(data.dashboard_id);
        if (data.status === "failed") return failed(data.error || data.error_code);
        progress("generating", data.percent, `Generating the dashboard: ${data.stage}`);
      } catch (error) {
        return showError("upload-error", error);
      }
      await new Promise((resolve) => { setTimeout(resolve, 1000); });
    }
  }

  function failed(reason) {
    progress("failed", 0, "The dashboard could not be generated");
    document.getElementById("upload-error").textContent = `The dashboard could not be generated: ${reason}.`;
  }

  function finished(dashboardId) {
    progress("completed", 100, "Dashboard ready");
    detail.textContent = "";
    const link = el("a", { href: `/console/dashboards/${encodeURIComponent(dashboardId)}`, id: "upload-done" }, "Open its page");
    detail.append("Your dashboard is ready. ", link);
    window.setTimeout(() => window.location.assign(link.href), 800);
  }

  loadList();
})();

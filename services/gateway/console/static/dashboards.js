// Dashboards: the list (search, tenant and workspace filters, pages), the generations that failed
// and why; upload.js runs the upload.
"use strict";

(() => {
  const { api, el, when, showError, replaceRows } = Dashloom;
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
      showError("list-error", error);
    }
  }

  function row(dashboard) {
    return el("tr", { "data-dashboard": dashboard.id },
      el("td", {}, el("a", { href: `/console/dashboards/${encodeURIComponent(dashboard.id)}` }, dashboard.title || dashboard.name || dashboard.id)),
      el("td", {}, dashboard.tenant_id || "—"),
      el("td", {}, dashboard.workspace_id || "—"),
      el("td", {}, String(dashboard.card_count)),
      el("td", {}, when(dashboard.created_at)),
      el("td", { class: "actions" },
        el("a", { href: `/api/v1/dashboards/${encodeURIComponent(dashboard.id)}/view` }, "Open", el("span", { class: "visually-hidden" }, ` ${dashboard.title}`)),
        " ",
        el("button", { type: "button", class: "danger", "aria-label": `Delete ${dashboard.title || dashboard.id}`,
          onclick: () => remove(dashboard) }, "Delete")));
  }

  async function remove(dashboard) {
    if (!window.confirm(`Delete "${dashboard.title || dashboard.id}"? Its share links and embeds stop working at once.`)) return;
    try {
      await api("DELETE", `/api/v1/dashboards/${encodeURIComponent(dashboard.id)}`);
      Dashloom.say(`"${dashboard.title || dashboard.id}" is deleted.`);
      await loadList();
    } catch (error) {
      showError("list-error", error);
    }
  }

  const FAILURES_SHOWN = 10;

  async function loadFailures() {
    try {
      const { data, pagination } = await api("GET", `/api/v1/generations?status=failed&limit=${FAILURES_SHOWN}`);
      replaceRows("failed-generations", data.map((generation) => el("tr", { "data-generation": generation.generation_id },
        el("td", {}, generation.title || "Untitled upload"),
        el("td", {}, generation.error || generation.error_code || "—"),
        el("td", {}, when(generation.updated_at)))));
      document.getElementById("failures").hidden = data.length === 0;
      const more = document.getElementById("failures-more");
      more.hidden = !pagination.has_more;
      more.textContent = `The latest ${FAILURES_SHOWN} of ${pagination.total} failed generations.`;
    } catch (error) {
      showError("list-error", error);
    }
  }

  if (params.has("deleted")) Dashloom.say("The dashboard is deleted.");
  loadList();
  loadFailures();
})();

// One dashboard: its facts, a link to the viewer, and its share links (create, copy once,
// revoke, the view log).
"use strict";

(() => {
  const { api, el, when, say, showError, clearError, revealSecret, badge, replaceRows } = Dashloom;
  const dashboardId = document.getElementById("dashboard-title").dataset.dashboard;
  const path = `/api/v1/dashboards/${encodeURIComponent(dashboardId)}`;

  async function loadFacts() {
    try {
      const { data } = await api("GET", path);
      document.getElementById("dashboard-title").textContent = data.title || dashboardId;
      document.title = `${data.title || dashboardId} · Dashloom console`;
      const facts = [["Id", el("code", {}, data.id)], ["Cards", String(data.card_count)],
        ["Tenant", data.tenant_id || "—"], ["Workspace", data.workspace_id || "—"],
        ["Created", when(data.created_at)], ["Generation", el("code", {}, data.generation_id)]];
      document.getElementById("dashboard-facts").replaceChildren(
        ...facts.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
    } catch (error) {
      showError("share-error", error);
    }
  }

  function statusBadge(status) {
    return badge(status, status === "active" ? "good" : "bad");
  }

  function linkRow(link) {
    const active = link.status === "active";
    const label = `link ${link.token_prefix}…`;
    return el("tr", { "data-link": link.id },
      el("td", {}, el("code", {}, `${link.token_prefix}…`)),
      el("td", {}, link.visibility === "private" ? `private: ${link.allowed_emails.join(", ")}` : "public"),
      el("td", {}, statusBadge(link.status)),
      el("td", {}, when(link.expires_at)),
      el("td", {}, String(link.view_count)),
      el("td", { class: "actions" },
        el("button", { type: "button", "aria-label": `View log of ${label}`, onclick: () => loadViews(link) }, "View log"),
        active ? el("button", { type: "button", class: "danger", "aria-label": `Revoke ${label}`, onclick: () => revoke(link) }, "Revoke") : null));
  }

  async function loadLinks() {
    try {
      const { data } = await api("GET", `${path}/share-links`);
      replaceRows("share-links", data.map(linkRow));
      document.getElementById("share-empty").hidden = data.length > 0;
    } catch (error) {
      showError("share-error", error);
    }
  }

  async function revoke(link) {
    if (!window.confirm(`Revoke the link ${link.token_prefix}…? Anyone holding it loses access at once.`)) return;
    try {
      await api("DELETE", `/api/v1/share-links/${encodeURIComponent(link.id)}`);
      say(`The link ${link.token_prefix}… is revoked.`);
      await loadLinks();
    } catch (error) {
      showError("share-error", error);
    }
  }

  async function loadViews(link) {
    try {
      const { data } = await api("GET", `/api/v1/share-links/${encodeURIComponent(link.id)}/views`);
      const section = document.getElementById("view-log");
      section.hidden = false;
      document.getElementById("view-log-heading").textContent = `Views of link ${link.token_prefix}…`;
      replaceRows("views", data.length ? data.map((view) => el("tr", {},
        el("td", {}, when(view.viewed_at)),
        el("td", {}, view.viewer === "email" ? view.email : view.viewer),
        el("td", {}, view.user_agent))) : [el("tr", {}, el("td", { colspan: "3" }, "Nobody has opened this link yet."))]);
      section.querySelector(".table-wrap").focus();
    } catch (error) {
      showError("share-error", error);
    }
  }

  document.getElementById("share-create").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError("share-error");
    const form = event.target;
    const body = {};
    const fieldset = form.querySelector("fieldset");
    if (!fieldset.disabled) {
      const emails = form.elements.allowed_emails.value.split(/[\s,;]+/).filter(Boolean);
      if (emails.length) body.allowed_emails = emails;
      if (form.elements.expires_at.value) body.expires_at = new Date(`${form.elements.expires_at.value}T23:59:59`).toISOString();
    }
    try {
      const { data } = await api("POST", `${path}/share-links`, body);
      revealSecret("share-created", "share-url", data.url);
      say("Share link created. Copy it now: it is shown only this once.");
      await loadLinks();
    } catch (error) {
      showError("share-error", error);
    }
  });

  loadFacts();
  loadLinks();
})();

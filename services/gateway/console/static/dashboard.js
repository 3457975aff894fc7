// One dashboard: its facts, a link to the viewer, its share links (create, copy once, revoke,
// the view log), its versions (upload.js refreshes it in place), iframe tokens, delete.
"use strict";

(() => {
  const { api, el, when, say, showError, clearError, revealSecret, badge, replaceRows } = Dashloom;
  const dashboardId = document.getElementById("dashboard-title").dataset.dashboard;
  const path = `/api/v1/dashboards/${encodeURIComponent(dashboardId)}`;

  async function loadFacts() {
    try {
      const { data } = await api("GET", path);
      document.getElementById("dashboard-title").textContent = data.title || data.name || dashboardId;
      document.title = `${data.title || data.name || dashboardId} · Dashloom console`;
      const facts = [["Id", el("code", {}, data.id)], ["Cards", String(data.card_count)],
        ["Tenant", data.tenant_id || "—"], ["Workspace", data.workspace_id || "—"],
        ["Version", String(data.version)], ["Created", when(data.created_at)], ["Updated", when(data.updated_at)]];
      document.getElementById("dashboard-facts").replaceChildren(
        ...facts.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
      embedScope(data);
      preview(data);
      const title = document.getElementById("refresh-title");
      if (!title.value) title.value = data.title || data.name || "";
    } catch (error) {
      showError("share-error", error);
    }
  }

  function preview(dashboard) {  // its /view, framed (the viewer lets this origin, and only it, frame it)
    const frame = document.getElementById("preview");
    if (dashboard.version > 0 && !frame.src) frame.src = `${path}/view`;
    frame.hidden = dashboard.version === 0;
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
        active && link.visibility === "public"
          ? el("button", { type: "button", "aria-label": `Copy ${label} again`, onclick: () => copyAgain(link) }, "Copy link") : null,
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

  async function copyAgain(link) {  // a public link's URL, kept sealed by the sharing service
    try {
      const { data } = await api("POST", `/api/v1/share-links/${encodeURIComponent(link.id)}/reveal`);
      revealSecret("share-created", "share-url", data.url);
      say(`The link ${link.token_prefix}… is shown above: copy it.`);
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
      say("Share link created. Copy it now (a public link can be shown again from the list).");
      await loadLinks();
    } catch (error) {
      showError("share-error", error);
    }
  });

  const ROWS = new Intl.NumberFormat("en-US");

  function uploader(version) {  // the key's name; a tenant JWT's subject; an id only when nothing better is known
    if (version.created_by_name) return version.created_by_name;
    return version.created_by ? el("code", {}, version.created_by) : "—";
  }

  async function loadVersions() {
    try {
      const { data } = await api("GET", `${path}/versions`);
      replaceRows("versions", data.length ? data.map((version) => el("tr", {},
        el("td", {}, String(version.version)), el("td", {}, version.title),
        el("td", {}, version.row_count === null ? "—" : ROWS.format(version.row_count)),
        el("td", {}, when(version.created_at)), el("td", {}, uploader(version))))
        : [el("tr", {}, el("td", { colspan: "5" }, "No data yet: upload a file above."))]);
    } catch (error) {
      showError(document.querySelector("#refresh .error"), error);
    }
  }

  // Iframe tokens ---------------------------------------------------------------------------
  const embedForm = document.getElementById("embed-create");
  let lastToken = null;

  function embedScope(dashboard) {
    embedForm.elements.tenant_id.value = dashboard.tenant_id || "";
    embedForm.elements.workspace_id.value = dashboard.workspace_id || "";
    const embeddable = Boolean(dashboard.tenant_id && dashboard.workspace_id);
    document.getElementById("embed-reason").hidden = embeddable;
    embedForm.querySelector("button[type=submit]").disabled = !embeddable;
  }

  function claimsOf(token) {  // the token's payload (Dashloom signed it; read here only to show it)
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
  }

  embedForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError("embed-error");
    const body = { tenant_id: embedForm.elements.tenant_id.value, workspace_id: embedForm.elements.workspace_id.value,
      dashboard_id: dashboardId };
    if (embedForm.elements.valid_until.value) {
      body.valid_until = Math.floor(new Date(embedForm.elements.valid_until.value).getTime() / 1000);
    }
    try {
      const { data } = await api("POST", "/api/v1/dashboards/iframe-token", body);
      lastToken = data.token;
      const src = `${window.location.origin}/embed/${data.token}`;
      revealSecret("embed-created", "embed-snippet", `<iframe src="${src}" title="Dashboard" width="100%" height="800"></iframe>`);
      document.getElementById("embed-expiry").textContent = `It works until ${new Date(data.expires_at * 1000).toLocaleString()}.`;
      say("Iframe token created. Copy the iframe now: the token is shown only this once.");
    } catch (error) {
      showError("embed-error", error);
    }
  });

  document.getElementById("embed-revoke").addEventListener("click", async () => {
    if (!lastToken) return;
    try {
      await api("DELETE", `/api/v1/iframe-tokens/${encodeURIComponent(claimsOf(lastToken).jti)}`);
      say("The iframe token is revoked: the embed stops opening at once.");
      document.getElementById("embed-created").hidden = true;
      lastToken = null;
    } catch (error) {
      showError("embed-error", error);
    }
  });

  document.getElementById("dashboard-delete").addEventListener("click", async () => {
    if (!window.confirm("Delete this dashboard? Its share links and embeds stop working at once.")) return;
    try {
      await api("DELETE", path);
      window.location.assign("/console/dashboards?deleted");
    } catch (error) {
      showError("delete-error", error);
    }
  });

  loadFacts();
  loadLinks();
  loadVersions();
})();

// Settings → API keys: create (the key shown once, with a copy button), rotate, revoke, last used.
"use strict";

(() => {
  const { api, el, when, say, showError, clearError, revealSecret, badge, replaceRows } = Dashloom;
  const KIND = { active: "good", expiring: "wait", expired: "bad", revoked: "bad" };

  function keyRow(key) {
    const live = key.status === "active" || key.status === "expiring";
    return el("tr", { "data-key": key.id },
      el("td", {}, key.name, key.id === document.body.dataset.key ? el("p", { class: "help" }, "this session's key") : null),
      el("td", {}, el("code", { class: "masked" }, `${key.prefix}${"•".repeat(8)}`)),
      el("td", {}, key.scopes.join(", ")),
      el("td", {}, badge(key.status, KIND[key.status] || "bad")),
      el("td", {}, when(key.created_at)),
      el("td", {}, when(key.last_used_at)),
      el("td", {}, key.expires_at ? when(key.expires_at) : "never"),
      el("td", { class: "actions" }, live && key.status === "active" ? [
        el("button", { type: "button", "aria-label": `Rotate ${key.name}`, onclick: () => rotate(key) }, "Rotate"),
        el("button", { type: "button", class: "danger", "aria-label": `Revoke ${key.name}`, onclick: () => revoke(key) }, "Revoke"),
      ] : "—"));
  }

  async function load() {
    try {
      const { data } = await api("GET", "/api/v1/api-keys");
      replaceRows("keys", data.map(keyRow));
    } catch (error) {
      showError("key-error", error);
    }
  }

  async function rotate(key) {
    const hours = window.prompt(`Rotate "${key.name}": a new key replaces it. For how many hours should the old key keep working?`, "24");
    if (hours === null) return;
    const grace = parseInt(hours, 10);
    if (!(grace >= 0 && grace <= 720)) {
      document.getElementById("key-error").textContent = "The grace period is a number of hours from 0 to 720.";
      return;
    }
    try {
      const { data } = await api("POST", `/api/v1/api-keys/${encodeURIComponent(key.id)}/rotate`, { grace_period_hours: grace });
      revealSecret("key-created", "key-value", data.key);
      say(`"${key.name}" rotated: copy the new key now, it is shown only this once.`);
      await load();
    } catch (error) {
      showError("key-error", error);
    }
  }

  async function revoke(key) {
    if (!window.confirm(`Revoke "${key.name}"? Every request made with it is refused at once.`)) return;
    try {
      await api("DELETE", `/api/v1/api-keys/${encodeURIComponent(key.id)}`);
      say(`"${key.name}" is revoked.`);
      await load();
    } catch (error) {
      showError("key-error", error);
    }
  }

  document.getElementById("key-create").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError("key-error");
    const form = event.target;
    const name = form.elements.name.value.trim();
    const scopes = [...form.querySelectorAll('input[name="scopes"]:checked')].map((box) => box.value);
    if (!name) {
      document.getElementById("key-error").textContent = "Give the key a name.";
      form.elements.name.focus();
      return;
    }
    if (!scopes.length) {
      document.getElementById("key-error").textContent = "Choose at least one scope.";
      return;
    }
    const body = { name, scopes };
    if (form.elements.expires_in_days.value) body.expires_in_days = parseInt(form.elements.expires_in_days.value, 10);
    try {
      const { data } = await api("POST", "/api/v1/api-keys", body);
      revealSecret("key-created", "key-value", data.key);
      say(`Key "${data.name}" created. Copy it now: it is shown only this once.`);
      form.reset();
      await load();
    } catch (error) {
      showError("key-error", error);
    }
  });

  load();
})();

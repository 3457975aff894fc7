// Settings → Embedding: the origins that may frame /embed, and the keys tenant JWTs are checked with.
"use strict";

(() => {
  const { api, el, when, say, showError, clearError, replaceRows } = Dashloom;

  async function loadOrigins() {
    try {
      const { data } = await api("GET", "/api/v1/project");
      document.getElementById("origins-list").value = data.embed_origins.join("\n");
      document.getElementById("jwt-audience").textContent = data.audience;
    } catch (error) {
      showError("origins-error", error);
    }
  }

  document.getElementById("origins").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError("origins-error");
    const origins = event.target.elements.origins.value.split(/\s+/).filter(Boolean);
    try {
      const { data } = await api("PUT", "/api/v1/project/embed-origins", { origins });
      document.getElementById("origins-list").value = data.origins.join("\n");
      say(data.origins.length ? `Saved: ${data.origins.length} origin(s) may frame your dashboards.` : "Saved: no page may frame your dashboards.");
    } catch (error) {
      showError("origins-error", error);
    }
  });

  function keyRow(key) {
    return el("tr", { "data-kid": key.kid },
      el("td", {}, el("code", {}, key.kid)), el("td", {}, key.alg),
      el("td", {}, key.fingerprint ? el("code", {}, key.fingerprint) : "—"), el("td", {}, when(key.created_at)),
      el("td", { class: "actions" }, el("button", { type: "button", class: "danger", "aria-label": `Delete ${key.kid}`,
        onclick: () => remove(key) }, "Delete")));
  }

  async function loadKeys() {
    try {
      const { data } = await api("GET", "/api/v1/jwt-keys");
      replaceRows("jwt-keys", data.length ? data.map(keyRow) : [el("tr", {}, el("td", { colspan: "5" }, "No keys yet."))]);
    } catch (error) {
      showError("jwt-error", error);
    }
  }

  async function remove(key) {
    if (!window.confirm(`Delete the key ${key.kid}? Tokens signed with it are refused at once.`)) return;
    try {
      await api("DELETE", `/api/v1/jwt-keys/${encodeURIComponent(key.kid)}`);
      say(`Key ${key.kid} deleted.`);
      await loadKeys();
    } catch (error) {
      showError("jwt-error", error);
    }
  }

  document.getElementById("jwt-create").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError("jwt-error");
    const form = event.target;
    const alg = form.elements.alg.value;
    const material = form.elements.material.value.trim();
    const body = { kid: form.elements.kid.value.trim(), alg };
    if (alg === "HS256") body.secret = material; else body.public_key_pem = material;
    try {
      await api("POST", "/api/v1/jwt-keys", body);
      form.reset();
      say(`Key ${body.kid} added.`);
      await loadKeys();
    } catch (error) {
      showError("jwt-error", error);
    }
  });

  loadOrigins();
  loadKeys();
})();

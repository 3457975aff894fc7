// Settings → Webhooks: endpoints (secret shown once), send a test, the deliveries and their
// attempts, redeliver.
"use strict";

(() => {
  const { api, el, when, say, showError, clearError, revealSecret, badge, replaceRows } = Dashloom;
  let shown = null;  // the endpoint whose deliveries are shown

  function hookRow(hook) {
    return el("tr", { "data-hook": hook.id },
      el("td", { class: "url" }, el("code", {}, hook.url), hook.description ? el("p", { class: "help" }, hook.description) : null),
      el("td", {}, hook.events.join(", ")),
      el("td", {}, badge(hook.status, hook.status === "enabled" ? "good" : "bad"),
        hook.disabled_reason ? el("p", { class: "help" }, hook.disabled_reason) : null),
      el("td", {}, when(hook.last_success_at)),
      el("td", { class: "actions" },
        el("button", { type: "button", "aria-label": `Send test to ${hook.url}`, onclick: () => sendTest(hook) }, "Send test"),
        el("button", { type: "button", "aria-label": `Deliveries to ${hook.url}`, onclick: () => showDeliveries(hook) }, "Deliveries"),
        el("button", { type: "button", "aria-label": `Rotate secret of ${hook.url}`, onclick: () => rotate(hook) }, "Rotate secret"),
        el("button", { type: "button", "aria-label": `${hook.status === "enabled" ? "Disable" : "Enable"} ${hook.url}`,
          onclick: () => toggle(hook) }, hook.status === "enabled" ? "Disable" : "Enable"),
        el("button", { type: "button", class: "danger", "aria-label": `Delete ${hook.url}`, onclick: () => remove(hook) }, "Delete")));
  }

  async function load() {
    try {
      const { data } = await api("GET", "/api/v1/webhooks");
      replaceRows("hooks", data.map(hookRow));
      document.getElementById("hooks-empty").hidden = data.length > 0;
    } catch (error) {
      showError("hook-error", error);
    }
  }

  async function sendTest(hook) {
    try {
      await api("POST", `/api/v1/webhooks/${encodeURIComponent(hook.id)}/test`);
      say(`A test event is on its way to ${hook.url}.`);
      await showDeliveries(hook);
    } catch (error) {
      showError("hook-error", error);
    }
  }

  async function rotate(hook) {
    if (!window.confirm(`Rotate the signing secret of ${hook.url}? The old one keeps signing beside it for 24 hours.`)) return;
    try {
      const { data } = await api("POST", `/api/v1/webhooks/${encodeURIComponent(hook.id)}/rotate-secret`);
      revealSecret("hook-secret", "hook-secret-value", data.secret);
      say("New secret: copy it now, it is shown only this once.");
    } catch (error) {
      showError("hook-error", error);
    }
  }

  async function toggle(hook) {
    const enabled = hook.status !== "enabled";
    try {
      await api("PATCH", `/api/v1/webhooks/${encodeURIComponent(hook.id)}`, { enabled });
      say(`${hook.url} is ${enabled ? "enabled" : "disabled"}.`);
      await load();
    } catch (error) {
      showError("hook-error", error);
    }
  }

  async function remove(hook) {
    if (!window.confirm(`Delete the endpoint ${hook.url}? It receives nothing more.`)) return;
    try {
      await api("DELETE", `/api/v1/webhooks/${encodeURIComponent(hook.id)}`);
      say(`${hook.url} deleted.`);
      if (shown && shown.id === hook.id) document.getElementById("deliveries-panel").hidden = true;
      await load();
    } catch (error) {
      showError("hook-error", error);
    }
  }

  function attemptsOf(delivery) {
    if (!delivery.attempts.length) return "none yet";
    return el("ol", {}, delivery.attempts.map((attempt) => el("li", {},
      `${attempt.status_code === null ? "no answer" : `HTTP ${attempt.status_code}`}, ${attempt.latency_ms} ms`,
      attempt.error ? ` (${attempt.error})` : "", " · ", when(attempt.attempted_at))));
  }

  function deliveryRow(delivery) {
    const kind = { succeeded: "good", pending: "wait", failed: "bad" }[delivery.status];
    return el("tr", { "data-delivery": delivery.id, "data-status": delivery.status },
      el("td", {}, delivery.event_type, delivery.redelivery_of ? el("p", { class: "help" }, "redelivery") : null),
      el("td", {}, badge(delivery.status, kind)),
      el("td", {}, attemptsOf(delivery)),
      el("td", {}, when(delivery.created_at)),
      el("td", { class: "actions" },
        el("button", { type: "button", "aria-label": `Redeliver ${delivery.event_type} ${delivery.id}`, onclick: () => redeliver(delivery) }, "Redeliver")));
  }

  const DELIVERIES_PAGE = 20;
  let deliveriesOffset = 0;

  async function showDeliveries(hook, offset = 0) {
    shown = hook;
    deliveriesOffset = offset;
    try {
      const query = new URLSearchParams({ limit: String(DELIVERIES_PAGE), offset: String(offset) });
      const { data, pagination } = await api("GET", `/api/v1/webhooks/${encodeURIComponent(hook.id)}/deliveries?${query}`);
      document.getElementById("deliveries-panel").hidden = false;
      document.getElementById("deliveries-heading").textContent = `Deliveries to ${hook.url}`;
      replaceRows("deliveries", data.length ? data.map(deliveryRow)
        : [el("tr", {}, el("td", { colspan: "5" }, "No deliveries yet."))]);
      const pages = Math.max(1, Math.ceil(pagination.total / DELIVERIES_PAGE));
      document.getElementById("deliveries-page").textContent =
        `Page ${Math.floor(offset / DELIVERIES_PAGE) + 1} of ${pages} · ${pagination.total} deliveries`;
      document.getElementById("deliveries-previous").hidden = offset === 0;
      document.getElementById("deliveries-next").hidden = !pagination.has_more;
    } catch (error) {
      showError("hook-error", error);
    }
  }

  document.getElementById("deliveries-previous").addEventListener("click", () => {
    if (shown) showDeliveries(shown, Math.max(0, deliveriesOffset - DELIVERIES_PAGE));
  });
  document.getElementById("deliveries-next").addEventListener("click", () => {
    if (shown) showDeliveries(shown, deliveriesOffset + DELIVERIES_PAGE);
  });

  async function redeliver(delivery) {
    try {
      await api("POST", `/api/v1/webhook-deliveries/${encodeURIComponent(delivery.id)}/redeliver`);
      say(`The ${delivery.event_type} event is sent again.`);
      if (shown) await showDeliveries(shown, deliveriesOffset);
    } catch (error) {
      showError("hook-error", error);
    }
  }

  document.getElementById("deliveries-refresh").addEventListener("click", () => { if (shown) showDeliveries(shown, deliveriesOffset); });

  document.getElementById("hook-create").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError("hook-error");
    const form = event.target;
    const url = form.elements.url.value.trim();
    const events = [...form.querySelectorAll('input[name="events"]:checked')].map((box) => box.value);
    if (!/^https?:\/\//.test(url)) {
      document.getElementById("hook-error").textContent = "Give the endpoint's full URL, starting with https://.";
      form.elements.url.focus();
      return;
    }
    if (!events.length) {
      document.getElementById("hook-error").textContent = "Choose at least one event.";
      return;
    }
    const body = { url, events };
    if (form.elements.description.value.trim()) body.description = form.elements.description.value.trim();
    try {
      const { data } = await api("POST", "/api/v1/webhooks", body);
      revealSecret("hook-secret", "hook-secret-value", data.secret);
      say(`Endpoint added. Copy its signing secret now: it is shown only this once.`);
      form.elements.url.value = "";
      await load();
    } catch (error) {
      showError("hook-error", error);
    }
  });

  load();
})();

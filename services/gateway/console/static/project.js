// Settings → Project: the plan, and this window's usage against the rate limit (read from the
// rate-limit headers every API answer carries).
"use strict";

(() => {
  const { api, el, when, say } = Dashloom;

  async function load() {
    try {
      const { data, headers } = await api("GET", "/api/v1/project");
      const facts = [["Name", data.name], ["Id", el("code", {}, data.id)], ["Plan", data.plan],
        ["Created", when(data.created_at)],
        ["Rate limit", `${data.rate_limit.limit} requests per ${data.rate_limit.window_seconds / 60} minutes`]];
      document.getElementById("project-facts").replaceChildren(
        ...facts.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
      const limit = parseInt(headers.get("X-RateLimit-Limit"), 10);
      const remaining = parseInt(headers.get("X-RateLimit-Remaining"), 10);
      const reset = parseInt(headers.get("X-RateLimit-Reset"), 10);
      const used = limit - remaining;
      const meter = document.getElementById("usage-meter");
      meter.max = limit;
      meter.value = used;
      meter.high = limit * 0.8;
      meter.optimum = 0;
      document.getElementById("usage-text").textContent =
        `${used} of ${limit} requests used; ${remaining} left until ${new Date(reset * 1000).toLocaleTimeString()}.`;
      document.getElementById("usage-text").dataset.used = String(used);
    } catch (error) {
      say(error.message);
    }
  }

  load();
})();

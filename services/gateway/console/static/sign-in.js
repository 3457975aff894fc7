// Sign in: the key goes once, as a bearer, to POST /api/v1/console-sessions, whose answer sets
// the session cookie. The key is then dropped from the page: the browser never stores it.
"use strict";

document.getElementById("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = document.getElementById("api-key");
  const error = document.getElementById("sign-in-error");
  const key = input.value.trim();
  error.textContent = "";
  if (!/^dl_live_[A-Za-z0-9]{28}$/.test(key)) {
    error.textContent = "That is not an API key: keys start with dl_live_ and have 36 characters. Paste it whole.";
    input.focus();
    return;
  }
  let response;
  try {
    response = await fetch("/api/v1/console-sessions", {
      method: "POST", credentials: "same-origin", headers: { Authorization: `Bearer ${key}`, Accept: "application/json" },
    });
  } catch (failure) {
    error.textContent = Dashloom.explain(0);
    return;
  }
  input.value = "";
  if (response.ok) {
    window.location.assign("/console/dashboards");
    return;
  }
  const answer = await response.json().catch(() => null);
  error.textContent = response.status === 401
    ? "That key was not accepted: it may be mistyped, revoked or expired."
    : Dashloom.explain(response.status, answer && answer.error, response.headers);
  input.focus();
});

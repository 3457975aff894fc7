// The console's shared part: calls to Dashloom's own /api/v1 with the session cookie and the
// page's CSRF token, errors put in words, safe DOM building, copy buttons.
"use strict";

window.Dashloom = (() => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;

  class ApiFailure extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  function explain(status, error, headers) {
    const detail = error ? ` (${error})` : "";
    switch (status) {
      case 0: return "Dashloom could not be reached. Check your connection and try again.";
      case 401: return "Your session has ended (signed out, expired, or its key was revoked). Sign in again.";
      case 403: return `Not allowed${detail}.`;
      case 404: return `Not found: it may have been deleted${detail}.`;
      case 409: return `That changed in the meantime${detail}. Reload the page and try again.`;
      case 410: return `That is gone${detail}.`;
      case 413: return `Too large${detail}.`;
      case 415: return `That file type is not supported${detail}.`;
      case 422: return `Please check the form${detail}.`;
      case 429: {
        const wait = headers && headers.get("Retry-After");
        return `Too many requests for now${wait ? `: try again in ${wait} seconds` : ""}.`;
      }
      case 503: return "Dashloom is briefly unavailable. Nothing was changed: try again in a moment.";
      default: return `Something went wrong on Dashloom's side (error ${status}). Try again later.`;
    }
  }

  function failureOf(status, answer, headers) {
    return new ApiFailure(status, answer && answer.code, explain(status, answer && answer.error, headers));
  }

  async function api(method, path, body, extraHeaders) {
    const headers = { Accept: "application/json", ...(extraHeaders || {}) };
    if (method !== "GET") headers["X-CSRF-Token"] = csrf;
    const init = { method, headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      throw failureOf(0);
    }
    let answer = null;
    try {
      answer = await response.json();
    } catch (error) {
      answer = null;
    }
    if (!response.ok || !answer || !answer.success) throw failureOf(response.status, answer, response.headers);
    return { data: answer.data, pagination: answer.pagination, headers: response.headers, status: response.status };
  }

  // el("a", {href: "/x", class: "y"}, "text", child...): text is always text, never HTML.
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function when(iso) {
    if (!iso) return "never";
    const date = new Date(iso);
    return el("time", { datetime: iso }, date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }));
  }

  function say(message) {
    document.getElementById("status").textContent = message;
  }

  function showError(target, error) {
    const node = typeof target === "string" ? document.getElementById(target) : target;
    node.textContent = error instanceof ApiFailure ? error.message : `Unexpected problem: ${error.message || error}`;
    if (error instanceof ApiFailure && error.status === 401) {
      node.append(" ", el("a", { href: "/console/sign-in" }, "Sign in"));
    }
  }

  function clearError(id) {
    document.getElementById(id).textContent = "";
  }

  function revealSecret(panelId, inputId, value) {
    const panel = document.getElementById(panelId);
    const input = document.getElementById(inputId);
    input.value = value;
    panel.hidden = false;
    input.focus();
    input.select();
  }

  function badge(text, kind) {
    return el("span", { class: `badge ${kind}` }, text);
  }

  function replaceRows(table, rows) {
    document.querySelector(`#${table} tbody`).replaceChildren(...rows);
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button.copy");
    if (!button) return;
    const input = document.getElementById(button.dataset.copy);
    try {
      await navigator.clipboard.writeText(input.value);
    } catch (error) {
      input.select();
      document.execCommand("copy");
    }
    button.textContent = "Copied";
    say("Copied to the clipboard.");
  });

  return { api, el, when, say, showError, clearError, revealSecret, badge, replaceRows, csrf, explain, ApiFailure };
})();

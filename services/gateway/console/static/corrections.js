// A person's corrections of a dashboard's cards: remove, pin, move, change the measure or the
// grouping (from the table's columns), add a card; the list of corrections, each one undone with
// a button. Every change is sent with If-Match (the revision last seen): another person's
// correction in between is a 409, said in words, and the page reloads what changed.
"use strict";

(() => {
  const { api, el, when, say, showError, clearError, badge, replaceRows } = Dashloom;
  const dashboardId = document.getElementById("dashboard-title").dataset.dashboard;
  const path = `/api/v1/dashboards/${encodeURIComponent(dashboardId)}`;
  const ERROR = "corrections-error";
  const KINDS = { remove: "Removed", pin: "Pinned", move: "Moved", change_query: "Query changed", add: "Added",
    rename: "Renamed", set_column_types: "Column types set" };
  let revision = 0;
  let cards = [];

  function computes(query) {
    if (!query) return "—";
    const what = query.measure ? `${query.aggregate} of ${query.measure}` : "records counted";
    return [what, ...(query.by || []).map((name) => `by ${name}`)].join(" ");
  }

  function cardRow(card, place) {
    const name = card.title || card.id;
    const button = (label, action, extra = {}) => el("button", {
      type: "button", "aria-label": `${label}: ${name}`, onclick: action, ...extra }, label);
    return el("tr", { "data-card": card.id },
      el("td", {}, String(place + 1)),
      el("td", {}, name, card.pinned ? [" ", badge("pinned", "good")] : null,
        (card.problems || []).map((problem) => el("p", { class: "error" }, problem))),
      el("td", {}, computes(card.query)),
      el("td", { class: "actions" },
        button("Up", () => send({ kind: "move", card_id: card.id, position: Math.max(place - 1, 0) }),
          { disabled: place === 0 }),
        button("Down", () => send({ kind: "move", card_id: card.id, position: place + 1 }),
          { disabled: place === cards.length - 1 }),
        card.pinned ? null : button("Pin", () => send({ kind: "pin", card_id: card.id })),
        button("Remove", () => send({ kind: "remove", card_id: card.id }), { class: "danger" })));
  }

  function options(select, entries) {  // a person's choice stays chosen when the lists are loaded again
    const chosen = select.value;
    select.replaceChildren(...entries.map(([value, label]) => el("option", { value }, label)));
    if (entries.some(([value]) => value === chosen)) select.value = chosen;
  }

  async function loadCards() {
    const { data } = await api("GET", path);
    const spec = data.spec || { cards: [], columns: [] };
    cards = spec.cards;
    replaceRows("cards", cards.map(cardRow));
    const columns = spec.columns.map((column) => [column.name, column.name]);
    options(document.getElementById("query-card"), cards.map((card) => [card.id, card.title || card.id]));
    options(document.getElementById("query-measure"), [["", "Records (counted)"], ...columns]);
    options(document.getElementById("query-by"), [["", "Nothing: one number"], ...columns]);
  }

  function correctionRow(correction) {
    const label = `${KINDS[correction.kind] || correction.kind} ${correction.card_id || ""}`.trim();
    return el("tr", { "data-correction": correction.correction_id },
      el("td", {}, String(correction.number)),
      el("td", {}, KINDS[correction.kind] || correction.kind),
      el("td", {}, correction.card_id || "—"),
      el("td", {}, correction.corrected_by || "—"),
      el("td", {}, when(correction.corrected_at)),
      el("td", {}, correction.undone_at ? badge("undone", "bad") : badge("in force", "good")),
      el("td", { class: "actions" }, correction.undone_at ? null : el("button", {
        type: "button", "aria-label": `Undo: ${label}`, onclick: () => undo(correction) }, "Undo")));
  }

  async function loadCorrections() {
    const { data } = await api("GET", `${path}/corrections`);
    revision = data.revision;
    replaceRows("corrections", data.corrections.map(correctionRow));
    document.getElementById("corrections-empty").hidden = data.corrections.length > 0;
  }

  async function reload() {
    try {
      await Promise.all([loadCards(), loadCorrections()]);
    } catch (error) {
      showError(ERROR, error);
    }
  }

  async function changed(request, done) {
    clearError(ERROR);
    try {
      const { data } = await request();
      const drawing = data.generation && data.generation.status;
      say(drawing === "failed" ? `${done}; drawing it failed: ${data.generation.error}` : `${done}.`);
    } catch (error) {
      showError(ERROR, error);
    }
    await reload();
  }

  function send(body) {
    return changed(() => api("POST", `${path}/corrections`, body, { "If-Match": `"${revision}"` }),
      `${KINDS[body.kind]}: the dashboard is drawn again`);
  }

  function undo(correction) {
    return changed(() => api("DELETE", `${path}/corrections/${encodeURIComponent(correction.correction_id)}`,
      undefined, { "If-Match": `"${revision}"` }), "Undone: the dashboard is drawn again");
  }

  document.getElementById("card-query").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const measure = form.measure.value || null;
    const query = { measure, aggregate: measure ? form.aggregate.value : "count", by: form.by.value ? [form.by.value] : [] };
    const kind = event.submitter && event.submitter.value === "add" ? "add" : "change_query";
    send(kind === "add" ? { kind, query } : { kind, card_id: form.card_id.value, query });
  });

  reload();
})();

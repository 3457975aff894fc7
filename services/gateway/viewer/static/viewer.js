// Draws every chart of a Dashloom dashboard page. The body's data-charts attribute says how it
// went ("drawn" or "failed"), for people and for tests alike.
(async () => {
  const charts = [...document.querySelectorAll(".chart[data-spec]")];
  const drawn = await Promise.allSettled(charts.map((element) => {
    const spec = JSON.parse(document.getElementById(element.dataset.spec).textContent);
    if (spec.encoding && spec.encoding.row) {
      // small multiples: Vega-Lite cannot fit a faceted chart to its container, so each row gets
      // the card's width less room for the row labels and the axis
      spec.width = Math.max(element.clientWidth - 150, 120);
    } else {
      spec.width = "container";
      spec.autosize = { type: "fit-x", contains: "padding" };
    }
    return vegaEmbed(element, spec, { actions: false, renderer: "svg" });
  }));
  const failed = drawn.filter((result) => result.status === "rejected");
  failed.forEach((result) => console.error("a chart could not be drawn:", result.reason));
  document.body.dataset.drawn = String(drawn.length - failed.length);
  document.body.dataset.charts = failed.length ? "failed" : "drawn";
})();

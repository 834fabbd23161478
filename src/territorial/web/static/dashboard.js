// The dashboard's balance chart, drawn by the bundled plotly.js from the JSON the page carries; the
// page is marked ready (data-ready, and a performance mark) once the KPI cards and the chart are drawn.
(() => {
  const ready = () => {
    document.body.dataset.ready = "true";
    performance.mark("data-ready");
  };
  const source = document.getElementById("balance-figure");
  if (!source || typeof Plotly === "undefined") {
    ready();
    return;
  }
  const figure = JSON.parse(source.textContent);
  Plotly.newPlot("balance-chart", figure.data, figure.layout, { displaylogo: false, displayModeBar: false, responsive: true }).then(ready);
})();

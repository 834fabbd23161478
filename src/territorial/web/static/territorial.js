// After htmx swaps in an explanation, move the keyboard focus to its heading, so a keyboard or
// screen reader user lands on what they asked for.
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target && event.detail.target.id === "why") {
    const heading = document.getElementById("why-title");
    if (heading) heading.focus();
  }
});

// A page the server drew whole is ready once parsed (the dashboard and the map mark themselves once
// their chart or first accounts are drawn): `data-ready`, and a performance mark the benchmark reads.
document.addEventListener("DOMContentLoaded", () => {
  if (document.body.dataset.readyWhenParsed === "true") {
    document.body.dataset.ready = "true";
    performance.mark("data-ready");
  }
});

// After htmx swaps in an explanation, move the keyboard focus to its heading, so a keyboard or
// screen reader user lands on what they asked for.
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target && event.detail.target.id === "why") {
    const heading = document.getElementById("why-title");
    if (heading) heading.focus();
  }
});

() => {
  // The upload tab: a file that is not an image (or one the browser cannot show) leaves no
  // broken-image icon beside the app's message; the next picture shows as usual.
  document.addEventListener("error", (event) => {
    const img = event.target;
    if (img instanceof HTMLImageElement && img.closest("#photo")) img.style.display = "none";
  }, true);
  document.addEventListener("load", (event) => {
    const img = event.target;
    if (img instanceof HTMLImageElement && img.closest("#photo")) img.style.display = "";
  }, true);
}

// Small helpers on top of plain HTML forms; every page works without them.
(function () {
  "use strict";
  // The error summary (or a banner) takes the focus when it appears, so a screen reader reads it
  // and the keyboard starts from it (GOV.UK's error summary pattern).
  function focusSummary(root) {
    var target = (root || document).querySelector("[data-focus]");
    if (target) { target.focus(); }
  }
  document.addEventListener("DOMContentLoaded", function () { focusSummary(document); });
  document.addEventListener("htmx:afterSwap", function (event) { focusSummary(event.detail.elt); });
  // A refused form comes back with 4xx: htmx swaps it in anyway (the answer is shown where it happened).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 409 || status === 422 || status === 403 || status === 404 || status === 503 || status === 401 || status === 429) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();

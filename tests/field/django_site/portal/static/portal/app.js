// Marks the current nav link; the page works without it.
(function () {
  "use strict";
  document.querySelectorAll("header nav a").forEach(function (link) {
    if (link.pathname === window.location.pathname) {
      link.setAttribute("aria-current", "page");
    }
  });
})();

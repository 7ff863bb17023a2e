"use strict";
// Progressive enhancement only: every page works without JavaScript.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", () => {
  // A second click on a slow network must not post the form twice.
  for (const form of document.querySelectorAll("form[data-submit-once]")) {
    form.addEventListener("submit", () => {
      const button = form.querySelector("button[type=submit]");
      if (button) {
        button.disabled = true;
      }
    });
  }
});

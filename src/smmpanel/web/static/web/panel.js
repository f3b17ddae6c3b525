// The panel's own behaviour, kept out of the templates: the Content-Security-Policy
// (script-src 'self') refuses inline scripts and on…="" handlers.
"use strict";

// <select data-autosubmit>: choosing an option submits its form (the language switch).
document.addEventListener("change", function (event) {
  var field = event.target;
  if (!(field instanceof HTMLSelectElement) || !field.hasAttribute("data-autosubmit")) return;
  if (!field.form) return;
  if (field.form.requestSubmit) field.form.requestSubmit();
  else field.form.submit();
});

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

// New order: choosing a service swaps in a new order form (htmx, outerHTML of
// #order-page). Two things must survive that swap for a fast typist or a slow
// connection:
// - what was typed into the old form: carried into the new form's same-named fields;
// - the live price: htmx wires the quote's "input from:#order-form" trigger only when it
//   processes the new content (its settle step, about 20 ms after the form appears), so
//   whatever is typed in between would never be priced. Once processed, a form that
//   holds anything typed asks for its quote.
var TYPED_FIELDS = "input:not([type=hidden]):not([type=checkbox]):not([type=radio]), textarea";
var typedBeforeSwap = {};

function typedValues(form) {
  var values = {};
  if (!form) return values;
  form.querySelectorAll(TYPED_FIELDS).forEach(function (field) {
    if (field.name && field.value !== "") values[field.name] = field.value;
  });
  return values;
}

document.addEventListener("htmx:beforeSwap", function (event) {
  var target = event.detail.target;
  if (target && target.id === "order-page") {
    typedBeforeSwap = typedValues(target.querySelector("#order-form"));
  }
});

document.addEventListener("htmx:load", function (event) {
  var root = event.detail.elt;
  var form = root.id === "order-form" ? root : root.querySelector("#order-form");
  var carried = typedBeforeSwap;
  typedBeforeSwap = {};
  if (!form) return;
  var holdsInput = false;
  form.querySelectorAll(TYPED_FIELDS).forEach(function (field) {
    if (field.value === "" && Object.prototype.hasOwnProperty.call(carried, field.name)) {
      field.value = carried[field.name];
    }
    if (field.value !== "") holdsInput = true;
  });
  if (holdsInput) form.dispatchEvent(new Event("change", { bubbles: true }));
});

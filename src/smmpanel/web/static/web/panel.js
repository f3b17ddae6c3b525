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

// Narrow screens: the sidebar (links, language, account) folds behind the header's Menu
// button (see panel.css); the button says whether it is shown, and Escape folds it again.
(function () {
  var header = document.querySelector("header.top");
  var toggle = header && header.querySelector(".menu-toggle");
  var panel = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (!panel) return;
  function show(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    panel.classList.toggle("open", open);
  }
  header.classList.add("has-menu");
  toggle.addEventListener("click", function () {
    show(toggle.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
      show(false);
      toggle.focus();
    }
  });
})();

// Tables turn into one card per row on a narrow screen (panel.css); each cell is led by
// its column's name, taken here from the table's header row. Rows htmx swaps in later
// (the live order list) are labelled as they arrive.
function labelCells(root) {
  var tables = root.tagName === "TABLE" ? [root] : root.querySelectorAll("table");
  if (!tables.length && root.closest) {
    var own = root.closest("table");
    if (own) tables = [own];
  }
  Array.prototype.forEach.call(tables, function (table) {
    var head = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!head) return;
    var names = [];
    Array.prototype.forEach.call(head.cells, function (cell) {
      for (var i = 0; i < (cell.colSpan || 1); i++) names.push(cell.textContent.trim());
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          var name = names[column];
          if (cell.tagName === "TD" && cell.colSpan === 1 && name && !cell.hasAttribute("data-label")) {
            cell.setAttribute("data-label", name);
          }
          column += cell.colSpan || 1;
        });
      });
    });
  });
}

labelCells(document);
document.addEventListener("htmx:load", function (event) {
  labelCells(event.detail.elt);
});

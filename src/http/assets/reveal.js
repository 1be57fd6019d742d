/*
 * Progressive reveal of fields whose condition reads answers on the same page (efa-runtime).
 * Served as /_efa/reveal.js after /_efa/json-logic.js (json-logic-js, the library the server
 * evaluates the same conditions with). Without JavaScript every such field stays visible with
 * its condition in the hint, and the server keeps its answer only when the condition holds.
 */
/* global window, document */
(function () {
  'use strict';
  var jsonLogic = window.jsonLogic;
  if (!jsonLogic || !document.querySelectorAll) return;

  function setPath(target, path, value) {
    var keys = path.split('.');
    var node = target;
    for (var i = 0; i < keys.length - 1; i++) {
      if (typeof node[keys[i]] !== 'object' || node[keys[i]] === null) node[keys[i]] = {};
      node = node[keys[i]];
    }
    node[keys[keys.length - 1]] = value;
  }

  /** The current answer of a control on this page, typed as the server would store it. */
  function valueOf(form, control) {
    var elements = form.querySelectorAll('[name="' + control.name.replace(/"/g, '\\"') + '"]');
    var raw = '';
    for (var i = 0; i < elements.length; i++) {
      var el = elements[i];
      if (el.type === 'radio' || el.type === 'checkbox') { if (el.checked) raw = el.value; } else { raw = el.value; }
    }
    raw = String(raw).trim();
    if (raw === '') return undefined;
    if (control.type === 'yesno') return raw === 'ja' ? true : raw === 'nein' ? false : undefined;
    if (control.type === 'number') { var n = Number(raw.replace(',', '.')); return isNaN(n) ? undefined : n; }
    return raw;
  }

  function update(form, box) {
    var data = JSON.parse(box.getAttribute('data-efa-data') || '{}');
    var controls = JSON.parse(box.getAttribute('data-efa-controls') || '[]');
    // A control's answer goes where the condition reads it: answers.<name>, or row.<path> in a group's row.
    for (var i = 0; i < controls.length; i++) setPath(data, controls[i].var || 'answers.' + controls[i].name, valueOf(form, controls[i]));
    var shown = jsonLogic.truthy(jsonLogic.apply(JSON.parse(box.getAttribute('data-efa-show-if')), data));
    // hidden removes the field from the page and from assistive technology alike.
    box.hidden = !shown;
  }

  var forms = document.querySelectorAll('form');
  for (var f = 0; f < forms.length; f++) {
    (function (form) {
      var boxes = form.querySelectorAll('.efa-reveal');
      if (boxes.length === 0) return;
      var all = function () { for (var b = 0; b < boxes.length; b++) update(form, boxes[b]); };
      form.addEventListener('change', all);
      form.addEventListener('input', all);
      all();
    })(forms[f]);
  }
})();

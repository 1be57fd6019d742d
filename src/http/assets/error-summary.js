/*
 * Error summary behaviour on step pages (efa-runtime), served as /_efa/error-summary.js (CSP: no
 * inline script). Without JavaScript the links are plain fragment links and CSS scroll-margin keeps
 * some room above the field; with it:
 * - the summary takes focus when the page loads, so the next Tab reaches its first link and screen
 *   readers announce it;
 * - a link (or a page opened with #field, e.g. a row's page) focuses the field and scrolls so that
 *   its question is in view: the legend of its fieldset, or its label, not just the input.
 */
/* global window, document */
(function () {
  'use strict';
  if (!document.querySelector || !window.addEventListener) return;

  /** What names the field: the fieldset's legend for grouped controls, else the label. */
  function questionOf(field) {
    var fieldset = field.closest ? field.closest('fieldset') : null;
    var legend = fieldset ? fieldset.querySelector('legend') : null;
    // A legend far above (a long fieldset) would push the field itself out of view.
    if (legend && field.getBoundingClientRect().top - legend.getBoundingClientRect().top < window.innerHeight * 0.6) return legend;
    var label = field.id ? document.querySelector('label[for="' + field.id.replace(/"/g, '\\"') + '"]') : null;
    return label || field;
  }

  function focusField(id) {
    var field = id ? document.getElementById(id) : null;
    if (!field || typeof field.focus !== 'function') return false;
    // instant: the focused field must be where the applicant looks now, not after an animation.
    questionOf(field).scrollIntoView({ block: 'start', behavior: 'instant' });
    field.focus({ preventScroll: true });
    return true;
  }

  function hashId(href) {
    var i = href.indexOf('#');
    return i < 0 ? '' : decodeURIComponent(href.slice(i + 1));
  }

  var summary = document.querySelector('.efa-error-summary');
  if (summary) {
    summary.addEventListener('click', function (event) {
      var link = event.target && event.target.closest ? event.target.closest('a') : null;
      var href = link ? link.getAttribute('href') || '' : '';
      // Only links to this page; a row's error leads to the row's page, which handles its #field below.
      if (href.charAt(0) !== '#') return;
      if (focusField(hashId(href))) event.preventDefault();
    });
  }

  function onLoad() {
    if (window.location.hash && focusField(hashId(window.location.hash))) return;
    if (summary) summary.focus();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', onLoad);
  else onLoad();
})();

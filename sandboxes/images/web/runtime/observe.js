// Observations of the page, evaluated by the entry process in an isolated world of the page's main frame: the DOM
// is the page's, but every global and prototype here is this world's own, so nothing the learner's script
// redefines (querySelector, getComputedStyle, textContent, Element.prototype...) is what runs here.
// Called with a list of observation specs; returns {id: observation} of plain JSON data, judged outside.
(function (specs) {
  "use strict";
  const MAX_ELEMENTS = 10;
  const TEXT_CAP = 500;

  function clean(text) {
    return String(text || "").replace(/\s+/g, " ").trim().slice(0, TEXT_CAP);
  }

  function rect(element) {
    const box = element.getBoundingClientRect();
    return { x: box.left + window.scrollX, y: box.top + window.scrollY, w: box.width, h: box.height };
  }

  function isVisible(element) {
    const box = element.getBoundingClientRect();
    return element.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }) && box.width > 0 &&
      box.height > 0;
  }

  function matching(selector) {
    return Array.from(document.querySelectorAll(selector));
  }

  function viewport() {
    return { width: document.documentElement.clientWidth, height: window.innerHeight };
  }

  const OBSERVERS = {
    count(spec) {
      return { count: matching(spec.selector).length };
    },
    text(spec) {
      const elements = matching(spec.selector);
      return { count: elements.length, texts: elements.slice(0, MAX_ELEMENTS).map((e) => clean(e.textContent)) };
    },
    value(spec) {
      const elements = matching(spec.selector);
      return {
        count: elements.length,
        values: elements.slice(0, MAX_ELEMENTS).map((e) => ("value" in e ? clean(e.value) : null)),
      };
    },
    attribute(spec) {
      const elements = matching(spec.selector);
      return {
        count: elements.length,
        values: elements.slice(0, MAX_ELEMENTS).map((e) => {
          const value = e.getAttribute(spec.name);
          return value === null ? null : clean(value);
        }),
      };
    },
    style(spec) {
      const elements = matching(spec.selector);
      return {
        count: elements.length,
        styles: elements.slice(0, MAX_ELEMENTS).map((e) => {
          const computed = window.getComputedStyle(e);
          const values = {};
          for (const property of spec.properties) values[property] = clean(computed.getPropertyValue(property));
          return values;
        }),
      };
    },
    relation(spec) {
      const first = matching(spec.selector)[0];
      const other = matching(spec.other)[0];
      return { a: first ? rect(first) : null, b: other ? rect(other) : null };
    },
    visible(spec) {
      const elements = matching(spec.selector);
      return { count: elements.length, visible: elements.slice(0, MAX_ELEMENTS).map(isVisible) };
    },
    inside_viewport(spec) {
      const elements = matching(spec.selector);
      return { count: elements.length, rects: elements.slice(0, MAX_ELEMENTS).map(rect), viewport: viewport() };
    },
    overflow() {
      const root = document.documentElement;
      return { scroll_width: root.scrollWidth, viewport: viewport() };
    },
  };

  const out = {};
  for (const spec of specs) {
    try {
      out[spec.id] = OBSERVERS[spec.type](spec);
    } catch (error) {
      // A selector the engine refuses is the instructor's mistake or the learner's page's absence: say which.
      out[spec.id] = { invalid: clean(error && error.name) };
    }
  }
  return out;
})

// LMS code editor: a thin wrapper around CodeMirror 6.
//
// Built by `npm run build` (esbuild) into a single minified IIFE at
// lms/static/vendor/codemirror/editor.bundle.js, which templates load from
// the app's own static files (no CDN). The bundle defines `window.LMSEditor`:
//
//   LMSEditor.create(textarea, {language})        -> {view, getValue, setValue, focus, destroy}
//   LMSEditor.createReadOnly(element, text, {language}) -> {view, getValue, setValue, destroy}
//   LMSEditor.enhanceAll(root = document)         -> enhance every textarea[data-code-editor] in root
//   LMSEditor.languages                           -> the supported language names
//
// On DOMContentLoaded every `textarea[data-code-editor]` is enhanced, using
// its `data-language` attribute ("python" | "javascript" | "html" | "css" |
// "sql" | "text"; anything else falls back to plain text).
//
// Code is always shown left-to-right (dir="ltr"), even inside an Arabic
// right-to-left page.

import { basicSetup, EditorView } from "codemirror";
import { EditorState } from "@codemirror/state";
import {
  keymap,
  lineNumbers,
  highlightSpecialChars,
} from "@codemirror/view";
import { indentWithTab } from "@codemirror/commands";
import {
  indentUnit,
  syntaxHighlighting,
  defaultHighlightStyle,
} from "@codemirror/language";
import { python } from "@codemirror/lang-python";
import { javascript } from "@codemirror/lang-javascript";
import { html } from "@codemirror/lang-html";
import { css } from "@codemirror/lang-css";
import { sql } from "@codemirror/lang-sql";

const LANGUAGES = {
  python: () => python(),
  javascript: () => javascript(),
  html: () => html(),
  css: () => css(),
  sql: () => sql(),
  text: () => [],
};

const ALIASES = {
  py: "python",
  python3: "python",
  js: "javascript",
  htm: "html",
  plain: "text",
  plaintext: "text",
  txt: "text",
  "": "text",
};

// Approximate visible height of 18 lines (CodeMirror's default line-height is 1.4).
const MIN_LINES = 18;
const LINE_HEIGHT_EM = 1.4;

function normalizeLanguage(name) {
  const key = String(name == null ? "" : name).trim().toLowerCase();
  const resolved = ALIASES[key] !== undefined ? ALIASES[key] : key;
  return Object.prototype.hasOwnProperty.call(LANGUAGES, resolved) ? resolved : "text";
}

function languageExtension(name) {
  return LANGUAGES[normalizeLanguage(name)]();
}

// Extensions shared by the editable and read-only views.
function commonExtensions(language) {
  return [
    // Code stays left-to-right even when the page is dir="rtl".
    EditorView.editorAttributes.of({ dir: "ltr" }),
    EditorView.contentAttributes.of({ dir: "ltr" }),
    EditorState.tabSize.of(4),
    indentUnit.of("    "),
    languageExtension(language),
    EditorView.theme({
      "&": {
        border: "1px solid #ccc",
        borderRadius: "4px",
        fontSize: "14px",
        textAlign: "left",
        backgroundColor: "#fff",
      },
      "&.cm-focused": { outline: "2px solid #4a90d9", outlineOffset: "0" },
      ".cm-scroller": {
        fontFamily:
          'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
        lineHeight: String(LINE_HEIGHT_EM),
      },
    }),
  ];
}

function docReplace(view, text) {
  view.dispatch({
    changes: { from: 0, to: view.state.doc.length, insert: text == null ? "" : String(text) },
  });
}

function create(textarea, options) {
  if (!textarea || textarea.tagName !== "TEXTAREA") {
    throw new TypeError("LMSEditor.create expects a <textarea> element");
  }
  if (textarea._lmsEditor) return textarea._lmsEditor; // already enhanced

  const opts = options || {};
  const language =
    opts.language != null ? opts.language : textarea.getAttribute("data-language");

  const syncToTextarea = EditorView.updateListener.of((update) => {
    if (!update.docChanged) return;
    textarea.value = update.state.doc.toString();
    // Let other listeners (unsaved-changes warnings, counters...) notice.
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  });

  const contentAttrs = {};
  const ariaLabel = textarea.getAttribute("aria-label");
  const ariaLabelledBy = textarea.getAttribute("aria-labelledby");
  if (ariaLabel) contentAttrs["aria-label"] = ariaLabel;
  if (ariaLabelledBy) contentAttrs["aria-labelledby"] = ariaLabelledBy;
  if (!ariaLabel && !ariaLabelledBy && textarea.id && textarea.ownerDocument) {
    const label = textarea.ownerDocument.querySelector(
      'label[for="' + textarea.id.replace(/["\\]/g, "\\$&") + '"]'
    );
    if (label && label.textContent.trim()) contentAttrs["aria-label"] = label.textContent.trim();
  }

  const extensions = [
    basicSetup, // includes line numbers, history, brackets, search, ...
    keymap.of([indentWithTab]),
    commonExtensions(language),
    EditorView.theme({
      ".cm-content, .cm-gutter": { minHeight: "calc(" + MIN_LINES + " * " + LINE_HEIGHT_EM + "em)" },
    }),
    syncToTextarea,
  ];
  if (Object.keys(contentAttrs).length) {
    extensions.push(EditorView.contentAttributes.of(contentAttrs));
  }
  if (textarea.readOnly || textarea.disabled) {
    extensions.push(EditorState.readOnly.of(true));
  }

  const view = new EditorView({
    state: EditorState.create({ doc: textarea.value, extensions }),
  });
  view.dom.setAttribute("dir", "ltr");
  view.dom.classList.add("lms-code-editor");

  textarea.parentNode.insertBefore(view.dom, textarea.nextSibling);
  const previousDisplay = textarea.style.display;
  textarea.style.display = "none";

  // A hidden `required` textarea would make the browser silently block the
  // submit ("invalid form control is not focusable"); check it ourselves.
  const form = textarea.form;
  const wasRequired = textarea.required;
  let onSubmit = null;
  let onReset = null;
  if (form) {
    if (wasRequired) {
      textarea.required = false;
      onSubmit = (event) => {
        if (!view.state.doc.toString().trim()) {
          event.preventDefault();
          view.dom.setAttribute("aria-invalid", "true");
          view.focus();
        } else {
          view.dom.removeAttribute("aria-invalid");
        }
      };
      form.addEventListener("submit", onSubmit);
    }
    // Form reset restores the textarea's default value; mirror it into the editor.
    onReset = () => {
      setTimeout(() => docReplace(view, textarea.value), 0);
    };
    form.addEventListener("reset", onReset);
  }

  const instance = {
    view,
    textarea,
    getValue() {
      return view.state.doc.toString();
    },
    setValue(text) {
      docReplace(view, text);
      // Keep the textarea current even if the text was identical (no docChanged).
      textarea.value = view.state.doc.toString();
    },
    focus() {
      view.focus();
    },
    destroy() {
      if (form) {
        if (onSubmit) form.removeEventListener("submit", onSubmit);
        if (onReset) form.removeEventListener("reset", onReset);
      }
      textarea.value = view.state.doc.toString();
      textarea.required = wasRequired;
      view.destroy();
      if (view.dom.parentNode) view.dom.parentNode.removeChild(view.dom);
      textarea.style.display = previousDisplay;
      delete textarea._lmsEditor;
    },
  };
  textarea._lmsEditor = instance;
  return instance;
}

function createReadOnly(element, text, options) {
  if (!element) throw new TypeError("LMSEditor.createReadOnly expects an element");
  const opts = options || {};
  const language =
    opts.language != null ? opts.language : element.getAttribute("data-language");
  let doc = text;
  if (doc == null) {
    // Use the element's own text (e.g. a <pre> holding the code) and replace it.
    doc = element.textContent;
    element.textContent = "";
  }

  const view = new EditorView({
    state: EditorState.create({
      doc: String(doc),
      extensions: [
        lineNumbers(),
        highlightSpecialChars(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        EditorState.readOnly.of(true),
        EditorView.editable.of(false),
        commonExtensions(language),
      ],
    }),
    parent: element,
  });
  view.dom.setAttribute("dir", "ltr");
  view.dom.classList.add("lms-code-view");

  return {
    view,
    getValue() {
      return view.state.doc.toString();
    },
    setValue(newText) {
      docReplace(view, newText);
    },
    destroy() {
      view.destroy();
      if (view.dom.parentNode) view.dom.parentNode.removeChild(view.dom);
    },
  };
}

function enhanceAll(root) {
  const scope = root || document;
  const found = scope.querySelectorAll("textarea[data-code-editor]");
  const editors = [];
  for (let i = 0; i < found.length; i++) {
    const textarea = found[i];
    editors.push(create(textarea, { language: textarea.getAttribute("data-language") }));
  }
  return editors;
}

const LMSEditor = {
  create,
  createReadOnly,
  enhanceAll,
  languages: Object.keys(LANGUAGES),
};

if (typeof window !== "undefined") {
  window.LMSEditor = LMSEditor;
  if (typeof document !== "undefined") {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", () => enhanceAll(document));
    } else {
      // Script loaded late (async/defer after parsing): enhance right away.
      enhanceAll(document);
    }
  }
}

// The page's language (ui/i18n.py puts this in <head>, after window.PAGE_STRINGS: every table).
// The visitor's choice from the header's switch (kept in this browser), else the browser's own
// language. Our HTML marks translatable text with data-i18n="key" (data-i18n-values: its
// placeholders), data-i18n-title and data-i18n-label (aria-label): whatever appears in the page
// is put in the page's language as it arrives. A cookie tells the server the choice, for queued
// events (the photo's reading, "Watch it learn"); the pad sends it with each drawing.
// window.pageI18n: {lang(), t(key, values), set(lang, remember)}; "page:language" on window
// when it changes.
(() => {
  const TABLES = window.PAGE_STRINGS || { en: {} };
  const DEFAULT = "en";
  const KEY = "page-lang"; // localStorage and cookie (ui/i18n.py, COOKIE)
  const TRADITIONAL = ["hant", "tw", "hk", "mo"]; // not Simplified Chinese: English, as in ui/i18n.py
  const SELECTOR = "[data-i18n],[data-i18n-title],[data-i18n-label]";
  // Gradio's own translations are switched through its module (below), found among the loaded
  // scripts: keep room for all of them in the browser's list.
  if (performance.setResourceTimingBufferSize) performance.setResourceTimingBufferSize(2000);

  function match(tag) {
    if (typeof tag !== "string" || !tag.trim() || tag.length > 40) return null;
    const parts = tag.trim().toLowerCase().replace(/_/g, "-").split("-");
    const codes = Object.keys(TABLES);
    const exact = codes.find((code) => code.toLowerCase() === parts.join("-"));
    if (exact) return exact;
    if (parts[0] === "zh" && parts.slice(1).some((p) => TRADITIONAL.includes(p))) return null;
    return codes.find((code) => code.toLowerCase().split("-")[0] === parts[0]) || null;
  }

  function stored() {
    try {
      return localStorage.getItem(KEY);
    } catch (error) {
      return null; // storage off: the browser's language it is
    }
  }

  const browser = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]);
  let current = match(stored()) || browser.map(match).find(Boolean) || DEFAULT;

  const escape = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  // The string `key` in the page's language (English where that table lacks it), its {names}
  // filled in with `values`, escaped: the tables are ours and may hold markup, values may not.
  function t(key, values) {
    const table = TABLES[current] || {};
    let text = key in table ? table[key] : (TABLES[DEFAULT] || {})[key];
    if (text === undefined) return key;
    if (values) text = text.replace(/\{(\w+)\}/g, (m, name) => (name in values ? escape(values[name]) : m));
    return text;
  }

  function translate(el) {
    const d = el.dataset;
    if (d.i18n) {
      let values;
      try {
        values = d.i18nValues ? JSON.parse(d.i18nValues) : undefined;
      } catch (error) {
        values = undefined;
      }
      const text = t(d.i18n, values);
      if (el.innerHTML !== text) el.innerHTML = text; // unchanged: no new mutation
    }
    if (d.i18nTitle) el.title = t(d.i18nTitle);
    if (d.i18nLabel) el.setAttribute("aria-label", t(d.i18nLabel));
  }

  function apply(node) {
    if (!node || node.nodeType !== 1) return;
    if (node.matches(SELECTOR)) translate(node);
    node.querySelectorAll(SELECTOR).forEach(translate);
  }

  async function gradioLocale(lang) {
    const url = performance.getEntriesByType("resource").map((e) => e.name)
      .find((name) => /\/assets\/core-[\w-]+\.js(\?|$)/.test(name));
    if (!url) return;
    try {
      const core = await import(url); // the very module Gradio runs: same URL, same instance
      if (core.changeLocale) core.changeLocale(lang);
    } catch (error) {
      // Gradio's labels stay as they are; ours still switch
    }
  }

  function mark() {
    document.documentElement.dataset.pageLang = current;
    document.cookie = `${KEY}=${current}; path=/; SameSite=Lax; max-age=31536000`;
  }

  async function set(lang, remember) {
    current = match(lang) || DEFAULT;
    if (remember) {
      try {
        localStorage.setItem(KEY, current);
      } catch (error) {
        // not kept for the next visit; this page still switches
      }
    }
    mark();
    apply(document.body);
    await gradioLocale(current);
    window.dispatchEvent(new CustomEvent("page:language", { detail: current }));
  }

  mark();
  new MutationObserver((records) => {
    for (const record of records) record.addedNodes.forEach(apply);
  }).observe(document.documentElement, { childList: true, subtree: true });
  window.pageI18n = { lang: () => current, t, set, match };
})();

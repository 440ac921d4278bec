// Language switch: the checkbox already works through CSS alone; this remembers the choice
// between pages, tells assistive technology the page language, and swaps what can hold one
// language only: the <option>s, the aria-labels and the document's title.
//
// Served pages: the server chose the language (?lang=, this cookie, Accept-Language) and
// rendered the switch; the choice is remembered in the "quyche_lang" cookie, which the
// server reads. The static site (files, no server) remembers it in localStorage instead.
(() => {
  "use strict";
  const box = document.getElementById("lang-en");
  if (!box) return;
  const root = document.documentElement;
  const served = root.hasAttribute("data-served");
  const KEY = "quyche-rules.lang";
  const remember = (lang) => {
    if (served) {
      document.cookie = "quyche_lang=" + lang + "; path=/; max-age=31536000; samesite=lax";
      return;
    }
    try { window.localStorage.setItem(KEY, lang); } catch (e) { /* storage disabled */ }
  };
  const apply = () => {
    const lang = box.checked ? "en" : "vi";
    root.lang = lang;
    for (const opt of document.querySelectorAll("option[data-en]")) {
      if (opt.dataset.vi === undefined) opt.dataset.vi = opt.textContent;
      opt.textContent = opt.dataset[lang];
    }
    for (const e of document.querySelectorAll("[data-label-en]")) {
      e.setAttribute("aria-label", lang === "en" ? e.dataset.labelEn : e.dataset.labelVi);
    }
    const title = document.querySelector("title[data-en]");
    if (title) document.title = title.dataset[lang];
  };
  if (served) {
    // a link with ?lang= chose for this visit: keep that choice for the next pages too
    if (new URLSearchParams(location.search).has("lang")) remember(root.lang);
  } else {
    try {
      if (window.localStorage.getItem(KEY) === "en") box.checked = true;
    } catch (e) { /* storage disabled: the switch still works for this page */ }
  }
  apply();
  box.addEventListener("change", () => {
    remember(box.checked ? "en" : "vi");
    apply();
  });
  // what the page's own scripts write later (a case, an answer) follows the switch too
  window.quycheLang = () => (box.checked ? "en" : "vi");
})();

// Language switch: the checkbox already works through CSS alone; this only remembers the
// choice between pages, tells assistive technology the page language, and relabels the
// <option>s of the Ask form (an option cannot hold two spans).
(() => {
  "use strict";
  const box = document.getElementById("lang-en");
  if (!box) return;
  const KEY = "quyche-rules.lang";
  const apply = () => {
    const en = box.checked;
    document.documentElement.lang = en ? "en" : "vi";
    for (const opt of document.querySelectorAll("option[data-en]")) {
      if (opt.dataset.vi === undefined) opt.dataset.vi = opt.textContent;
      opt.textContent = en ? opt.dataset.en : opt.dataset.vi;
    }
  };
  try {
    if (window.localStorage.getItem(KEY) === "en") box.checked = true;
  } catch (e) { /* storage disabled: the switch still works for this page */ }
  apply();
  box.addEventListener("change", () => {
    try { window.localStorage.setItem(KEY, box.checked ? "en" : "vi"); } catch (e) { /* ignore */ }
    apply();
  });
})();

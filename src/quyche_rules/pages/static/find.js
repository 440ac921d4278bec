// Search and filters on the literate view, offline (no CDN, no index file): every unit of
// the text carries its article, coverage, bodies, duties and whether a duty has a deadline
// as data attributes; this hides the units that do not match and says how many remain.
// Without JavaScript the form stays hidden and the whole text is shown.
(() => {
  "use strict";
  const form = document.getElementById("find");
  if (!form) return;
  const units = [...document.querySelectorAll(".unit")];
  const articles = [...document.querySelectorAll("section.article")];
  const count = document.getElementById("find-count");
  // compare without case or diacritics: "bao cao" finds "báo cáo"
  const fold = (s) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
  const texts = new Map(units.map((u) => [u, fold(u.textContent)]));
  const val = (id) => document.getElementById(id).value;
  const apply = () => {
    const words = fold(val("find-q")).split(/\s+/).filter(Boolean);
    const body = val("find-body"), duty = val("find-duty"), article = val("find-article");
    const status = val("find-status"), deadline = document.getElementById("find-deadline").checked;
    let shown = 0;
    for (const u of units) {
      const d = u.dataset;
      const ok = words.every((w) => texts.get(u).includes(w))
        && (!body || d.bodies.split(" ").includes(body))
        && (!duty || d.duties.split(" ").includes(duty))
        && (!article || d.article === article)
        && (!status || d.status === status)
        && (!deadline || d.deadline === "yes");
      u.hidden = !ok;
      if (ok) shown += 1;
    }
    for (const a of articles) a.hidden = !a.querySelector(".unit:not([hidden])");
    count.textContent = shown + " / " + units.length + " đơn vị văn bản (units of text)";
  };
  form.hidden = false;
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", (ev) => ev.preventDefault());
})();

// What the Ask and Morning pages' scripts share, loaded before either: text in both
// languages, dates for people, table cells, and the call to the service with a body's API
// key (sent in the Authorization header only, never in the URL) and the one line of its
// problem when it refuses. One copy, so the two pages cannot drift apart.
(() => {
  "use strict";
  // the language the switch shows now (pages.js), or the page's own
  const lang = () => (window.quycheLang ? window.quycheLang() : document.documentElement.lang);

  // text in both languages, the page's switch showing one (as the templates' spans do)
  const both = (vi, en) => {
    const f = document.createDocumentFragment();
    for (const [l, text] of [["vi", vi], ["en", en]]) {
      const s = document.createElement("span");
      s.className = l;
      s.lang = l;
      s.textContent = text;
      f.appendChild(s);
    }
    return f;
  };

  // dates for people: dd/mm/yyyy (the JSON keeps ISO 8601)
  const dmy = (iso) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    return m ? m[3] + "/" + m[2] + "/" + m[1] : (iso || "");
  };

  // a table cell with text or a fragment, as a link when given where to
  const cell = (row, content, href) => {
    const td = row.insertCell();
    const node = typeof content === "string" ? document.createTextNode(content) : content;
    if (href) {
      const a = document.createElement("a");
      a.href = href;
      a.appendChild(node);
      td.appendChild(a);
    } else td.appendChild(node);
    return td;
  };

  // the key as the service reads it; no key, no header (the service answers 401)
  const bearer = (key) => (key ? { "Authorization": "Bearer " + key } : {});

  // a JSON call to the service with the key; a body is sent as JSON
  const request = (url, key, init = {}) => {
    const headers = { "Accept": "application/json", ...bearer(key) };
    if (init.body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(url, { ...init, headers: { ...headers, ...(init.headers || {}) } });
  };

  // a refusal in one line: the problem's title is in the request's language, its detail
  // names the field
  const problem = async (res) => {
    const data = await res.json().catch(() => null);
    const detail = data && (data.detail || data.error);
    const text = typeof detail === "string" ? detail : JSON.stringify(detail);
    const f = document.createDocumentFragment();
    f.append(both("Lỗi ", "Error "), res.status + ": " + (data && data.title ? data.title + " — " : "") + text);
    return f;
  };

  window.quyche = Object.freeze({ lang, both, dmy, cell, bearer, request, problem });
})();

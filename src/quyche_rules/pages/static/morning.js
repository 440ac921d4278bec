// The morning view, a clerk's workplace: with the body's API key (kept for this tab only, in
// sessionStorage: never in the URL, never in storage that outlives the tab), ask the service
// for the tracker's status (GET status_url?as_of=&party=), lay out its groups, and record an
// answer, an extension with its new reply date, a withdrawal or a disagreement on a case
// through the same POST track_url the systems use (so the same key checks apply); then show
// the case again. Every value from the server is written with textContent, never as HTML.
// What it shares with the Ask page (both languages, dates, cells, the call with the key) is
// shared.js.
(() => {
  "use strict";
  const form = document.getElementById("morning");
  if (!form) return;
  const lookup = JSON.parse(document.getElementById("morning-data").textContent);
  const status = document.getElementById("report-status");
  const groups = document.querySelectorAll("#report section.group");
  const icsBox = document.getElementById("ics");
  const icsLink = document.getElementById("ics-link");
  const keyInput = document.getElementById("m-key");
  const forget = document.getElementById("m-forget");
  const STORE = "quyche-morning-key";
  let icsParty = null;
  let icsAsOf = "";

  try { keyInput.value = sessionStorage.getItem(STORE) || ""; } catch (e) { /* private mode */ }
  const { lang, both, dmy, cell, bearer, request, problem } = window.quyche;
  const name = (id) => {
    const p = lookup.parties[id];
    return p ? both(p.vi, p.en) : document.createTextNode(id);
  };
  const names = (ids) => {
    const f = document.createDocumentFragment();
    ids.forEach((id, i) => { if (i) f.append("; "); f.appendChild(name(id)); });
    return f;
  };
  // what another body wrote (its number, its subject): Vietnamese documents, said so
  const quoted = (tag, cls, text) => {
    const e = document.createElement(tag);
    e.className = cls;
    e.lang = "vi";
    e.textContent = text;
    return e;
  };
  const key = () => keyInput.value.trim();
  const today = () => {
    const d = new Date();
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  };

  const note = (td, content, cls) => {
    const s = document.createElement("span");
    s.className = cls || "was";
    s.appendChild(typeof content === "string" ? document.createTextNode(content) : content);
    td.appendChild(s);
  };
  const el = (tag, attrs, text) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };

  // the event each action sends, built from the case (the service checks the key's body)
  const ACTIONS = {
    answer: [["Trả lời", "Answer"], (c, d) => ({ type: "coordination_answered", date: d, requester: c.requester, requested: c.obligated, in_reply_to: c.reference })],
    extension: [["Gia hạn", "Extension"], (c, d, by) => ({ type: "coordination_extension_needed", date: d, requester: c.requester, requested: c.obligated, in_reply_to: c.reference, reply_by: by })],
    withdrawal: [["Rút đề nghị", "Withdrawal"], (c, d) => ({ type: "coordination_withdrawn", date: d, requester: c.requester, requested: c.obligated, in_reply_to: c.reference })],
    disagreement: [["Không thống nhất", "Disagreement"], (c, d) => ({ type: "coordination_disagreement", date: d, lead_party: c.requester, other_parties: [c.obligated], in_reply_to: c.reference })],
  };
  const OPEN = ["awaiting", "extended", "overdue", "consent"];

  const actionForm = (c) => {
    const id = "act-" + c.id;
    // named "Record for <number>": the words in the page's language, the number as written
    const named = el("span", { id: id + "-name", "class": "sr-only" });
    named.appendChild(both("Ghi nhận cho văn bản", "Record for"));
    const f = el("form", { "class": "act", "data-case": c.id, "aria-labelledby": id + "-name ref-" + c.id });
    f.appendChild(named);
    const pick = el("select", { id: id + "-kind", name: "kind" });
    for (const [k, [[lv, le]]] of Object.entries(ACTIONS)) {
      pick.appendChild(el("option", { value: k, "data-vi": lv, "data-en": le }, lang() === "en" ? le : lv));
    }
    const date = el("input", { type: "date", id: id + "-date", name: "date", required: "" });
    date.value = document.getElementById("m-as-of").value || today();
    const by = el("input", { type: "date", id: id + "-by", name: "reply_by" });
    const byField = el("span", { "class": "reply-by" });
    const byLabel = el("label", { "for": id + "-by" });
    byLabel.appendChild(both("Ngày trả lời mới", "New reply date"));
    byField.append(byLabel, by);
    const show = () => { byField.hidden = pick.value !== "extension"; by.required = !byField.hidden; };
    pick.addEventListener("change", show);
    show();
    const labelled = (target, vi, en) => {
      const l = el("label", { "for": target });
      l.appendChild(both(vi, en));
      return l;
    };
    const submit = el("button", { type: "submit" });
    submit.appendChild(both("Ghi", "Record"));
    f.append(labelled(id + "-kind", "Việc", "Action"), pick, labelled(id + "-date", "Ngày", "Date"), date, byField, submit);
    f.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (pick.value === "extension" && !by.value) { fail(both("Ngày trả lời mới: bắt buộc", "New reply date: required")); return; }
      const event = ACTIONS[pick.value][1](c, date.value, by.value);
      try {
        const res = await request(form.dataset.trackUrl, key(), {
          method: "POST", body: JSON.stringify(event),
        });
        if (!res.ok) { fail(await problem(res)); return; }
        const data = await res.json();
        await refresh();
        status.append(" — ", both("Đã ghi #", "Recorded #"), String(data.record.seq), " (", quoted("span", "ref", c.reference), ")");
      } catch (e) {
        fail(both("Không gửi được: ", "Could not send: "), e.message);
      }
    });
    return f;
  };

  const row = (body, c) => {
    const tr = body.insertRow();
    tr.dataset.case = c.id;
    tr.dataset.state = c.state;
    // the document by its number and subject; the case id (a hash) stays, small, below
    const ref = quoted("span", "ref", c.reference);
    ref.id = "ref-" + c.id;
    const doc = cell(tr, ref);
    doc.className = "doc";
    if (c.summary) doc.appendChild(quoted("span", "subject", c.summary));
    const cid = document.createElement("span");
    cid.className = "case-id";
    cid.append(both("mã hồ sơ ", "case "), c.id);
    doc.appendChild(cid);
    const rule = lookup.rules[c.rule_id];
    const label = rule ? both(rule.label, rule.label_en) : c.rule_id;
    cell(tr, label, rule ? rule.href : null).title = c.rule_id;
    cell(tr, name(c.obligated));
    cell(tr, names(c.counterparties));
    const due = cell(tr, dmy(c.due));
    due.className = "due";
    if (c.due_provisional) note(due, both("tạm tính", "provisional"));
    if (c.original_due && c.original_due !== c.due) note(due, both("ban đầu " + dmy(c.original_due), "first " + dmy(c.original_due)));
    if (c.silence_means === "consent" && (c.state === "awaiting" || c.state === "extended")) {
      note(due, both("quá hạn không trả lời được xem là đồng ý", "no answer by then counts as consent"), "silence");
    }
    const words = lookup.states[c.state];
    const st = cell(tr, words ? both(words.vi, words.en) : c.state_vi);
    st.className = "state";
    if (c.consent_since) note(st, both("từ " + dmy(c.consent_since), "since " + dmy(c.consent_since)));
    if (c.closed_on) note(st, both("ngày " + dmy(c.closed_on), "on " + dmy(c.closed_on)));
    const act = tr.insertCell();
    act.className = "actions";
    if (OPEN.includes(c.state)) act.appendChild(actionForm(c));
  };

  const show = (data) => {
    let total = 0;
    for (const g of groups) {
      const cases = data[g.dataset.group] || [];
      total += cases.length;
      const body = g.querySelector("tbody");
      body.replaceChildren();
      for (const c of cases) row(body, c);
      g.querySelector(".n").textContent = String(cases.length);
      g.querySelector("table").hidden = cases.length === 0;
      g.querySelector(".none").hidden = cases.length !== 0;
      g.hidden = false;
    }
    status.className = "";
    status.removeAttribute("role");
    status.replaceChildren(data.party ? name(data.party) : both("mọi cơ quan", "every body"), " — " + dmy(data.as_of));
    icsParty = data.party;
    icsAsOf = data.as_of;
    icsBox.hidden = !icsParty;
    if (icsParty) icsLink.href = form.dataset.icsUrl + "?" + new URLSearchParams({ party: icsParty, as_of: icsAsOf });
    return total;
  };

  const fail = (...message) => {
    for (const g of groups) g.hidden = true;
    icsBox.hidden = true;
    status.className = "error";
    status.setAttribute("role", "alert");
    status.replaceChildren(...message);
  };

  const refresh = async () => {
    const params = new URLSearchParams();
    const asOf = document.getElementById("m-as-of").value;
    const party = document.getElementById("m-party").value;
    if (asOf) params.set("as_of", asOf);
    if (party) params.set("party", party);
    const res = await request(form.dataset.statusUrl + "?" + params, key());
    if (!res.ok) { fail(await problem(res)); return false; }
    show(await res.json());
    return true;
  };

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!key()) { fail(both("Khóa API: bắt buộc", "API key: required")); return; }
    try { sessionStorage.setItem(STORE, key()); } catch (e) { /* private mode: memory only */ }
    status.className = "";
    status.textContent = "…";
    try {
      await refresh();
    } catch (e) {
      fail(both("Không gửi được: ", "Could not send: "), e.message);
    }
  });

  forget.addEventListener("click", () => {
    try { sessionStorage.removeItem(STORE); } catch (e) { /* nothing kept */ }
    keyInput.value = "";
    for (const g of groups) g.hidden = true;
    icsBox.hidden = true;
  });

  // the feed needs the key too, which a plain link cannot carry: fetch it, then save it
  icsLink.addEventListener("click", async (ev) => {
    ev.preventDefault();
    try {
      const res = await fetch(icsLink.href, { headers: bearer(key()) });
      if (!res.ok) { fail(await problem(res)); return; }
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement("a");
      a.href = url;
      a.download = (icsParty || "quyche") + ".ics";
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) {
      fail(both("Không tải được: ", "Could not fetch: "), e.message);
    }
  });
})();

// The morning view: with the body's API key, ask the service for the tracker's status
// (GET status_url?as_of=&party=) and lay out its groups; offer the iCalendar feed, fetched
// with the same key. Every value from the server is written with textContent, never as HTML.
(() => {
  "use strict";
  const form = document.getElementById("morning");
  if (!form) return;
  const lookup = JSON.parse(document.getElementById("morning-data").textContent);
  const status = document.getElementById("report-status");
  const groups = document.querySelectorAll("#report section.group");
  const icsBox = document.getElementById("ics");
  const icsLink = document.getElementById("ics-link");
  let icsParty = null;
  let icsAsOf = "";

  const name = (id) => (lookup.parties[id] || id);
  const key = () => document.getElementById("m-key").value.trim();
  const headers = () => ({ "Accept": "application/json", "Authorization": "Bearer " + key() });

  const cell = (row, text, href) => {
    const td = row.insertCell();
    if (href) {
      const a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      td.appendChild(a);
    } else td.textContent = text;
    return td;
  };
  const note = (td, text) => {
    const s = document.createElement("span");
    s.className = "was";
    s.textContent = text;
    td.appendChild(s);
  };

  const row = (body, c) => {
    const tr = body.insertRow();
    tr.dataset.case = c.id;
    tr.dataset.state = c.state;
    cell(tr, c.id);
    cell(tr, c.reference);
    const rule = lookup.rules[c.rule_id];
    cell(tr, rule ? rule.label : c.rule_id, rule ? rule.href : null).title = c.rule_id;
    cell(tr, name(c.obligated));
    cell(tr, c.counterparties.map(name).join("; "));
    const due = cell(tr, c.due);
    due.className = "due";
    if (c.due_provisional) note(due, "tạm tính / provisional");
    if (c.original_due && c.original_due !== c.due) note(due, "ban đầu / first " + c.original_due);
    const st = cell(tr, c.state_vi);
    st.className = "state";
    if (c.consent_since) note(st, "từ / since " + c.consent_since);
    if (c.closed_on) note(st, "ngày / on " + c.closed_on);
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
    status.textContent = (data.party ? name(data.party) : "mọi cơ quan / every body") + " — " + data.as_of;
    icsParty = data.party;
    icsAsOf = data.as_of;
    icsBox.hidden = !icsParty;
    if (icsParty) icsLink.href = form.dataset.icsUrl + "?" + new URLSearchParams({ party: icsParty, as_of: icsAsOf });
    return total;
  };

  const fail = (message) => {
    for (const g of groups) g.hidden = true;
    icsBox.hidden = true;
    status.className = "error";
    status.setAttribute("role", "alert");
    status.textContent = message;
  };

  const errorText = async (res) => {
    const data = await res.json().catch(() => null);
    const detail = data && data.detail;
    return "Lỗi / error " + res.status + ": " + (typeof detail === "string" ? detail : JSON.stringify(detail));
  };

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!key()) { fail("Khóa API: bắt buộc / API key: required"); return; }
    const params = new URLSearchParams();
    const asOf = document.getElementById("m-as-of").value;
    const party = document.getElementById("m-party").value;
    if (asOf) params.set("as_of", asOf);
    if (party) params.set("party", party);
    status.className = "";
    status.textContent = "…";
    try {
      const res = await fetch(form.dataset.statusUrl + "?" + params, { headers: headers() });
      if (!res.ok) { fail(await errorText(res)); return; }
      show(await res.json());
    } catch (e) {
      fail("Không gửi được / could not send: " + e.message);
    }
  });

  // the feed needs the key too, which a plain link cannot carry: fetch it, then save it
  icsLink.addEventListener("click", async (ev) => {
    ev.preventDefault();
    try {
      const res = await fetch(icsLink.href, { headers: { "Authorization": "Bearer " + key() } });
      if (!res.ok) { fail(await errorText(res)); return; }
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement("a");
      a.href = url;
      a.download = (icsParty || "quyche") + ".ics";
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) {
      fail("Không tải được / could not fetch: " + e.message);
    }
  });
})();

// The Ask form: show the fields of the chosen event type, post the event as JSON to the
// service's notify endpoint, and show the obligations, their due dates and the receipt.
// Every value from the server is written with textContent, never as HTML. What it shares
// with the Morning page (both languages, dates, cells, the call with the key) is shared.js.
(() => {
  "use strict";
  const form = document.getElementById("ask");
  if (!form) return;
  const typeSelect = document.getElementById("event-type");
  const status = document.getElementById("answer-status");
  const table = document.getElementById("obligations");
  const receiptBox = document.getElementById("receipt-box");
  const receipt = document.getElementById("receipt");
  const decision = document.getElementById("decision");
  const decisionId = document.getElementById("decision-id");
  const duties = JSON.parse(document.getElementById("ask-data").textContent).duties;
  const { lang, both, dmy, cell, request, problem } = window.quyche;

  const showType = () => {
    for (const fs of form.querySelectorAll("fieldset.event")) {
      const on = fs.dataset.event === typeSelect.value;
      fs.hidden = !on;
      fs.disabled = !on;
    }
  };

  // the clause anchor, as views.anchor() writes it (đ → dd)
  const anchor = (b) => ["dieu-" + b.article]
    .concat(b.clause == null ? [] : [String(b.clause)])
    .concat(b.point == null ? [] : [b.point.replace("đ", "dd")]).join("-");

  const payload = () => {
    const fs = form.querySelector(`fieldset[data-event="${typeSelect.value}"]`);
    const event = { type: typeSelect.value };
    for (const el of fs.querySelectorAll("[data-kind]")) {
      const kind = el.dataset.kind;
      if (kind === "checkbox") event[el.name] = el.checked;
      else if (kind === "parties") {
        const chosen = Array.from(el.selectedOptions, (o) => o.value);
        if (chosen.length) event[el.name] = chosen;
      } else if (el.value !== "") event[el.name] = el.value;
    }
    return event;
  };

  const names = (parties) => {
    const f = document.createDocumentFragment();
    parties.forEach((p, i) => { if (i) f.append("; "); f.appendChild(both(p.name_vi, p.name_en)); });
    return f;
  };

  const show = (data) => {
    const obligations = Array.isArray(data) ? data : (data.obligations || []);
    const body = table.tBodies[0];
    body.replaceChildren();
    for (const o of obligations) {
      const row = body.insertRow();
      const label = both(o.basis.label, o.basis.label.replace(/^Điều /, "Art. "));
      cell(row, label, form.dataset.literate + "#" + anchor(o.basis));
      cell(row, both(o.obligated.name_vi, o.obligated.name_en));
      const duty = cell(row, both(o.duty_vi, duties[o.duty] || o.duty));
      const code = document.createElement("code");
      code.textContent = o.duty;
      duty.append(" (", code, ")");
      const towards = cell(row, names(o.counterparties));
      if (o.unresolved_class) {
        // a class the event did not narrow: the clerk must still say which body is meant
        const warn = document.createElement("p");
        warn.className = "unresolved";
        warn.appendChild(both("Còn là một nhóm cơ quan: cần ghi rõ cơ quan nào", "A class still to be narrowed: name the body"));
        towards.appendChild(warn);
      }
      const dueCell = cell(row, o.due ? dmy(o.due) : "—");
      if (o.due && o.due_provisional) dueCell.append(" (", both("tạm tính", "provisional"), ")");
      // how the date was counted is written in English by the engine: shown in English only
      if (o.due_computation && lang() === "en") dueCell.title = o.due_computation;
      if (o.silence_means === "consent") {
        const silence = document.createElement("p");
        silence.className = "silence";
        silence.appendChild(both("Quá hạn không trả lời được xem là đồng ý", "No answer by then counts as consent"));
        dueCell.appendChild(silence);
      }
    }
    table.hidden = obligations.length === 0;
    status.className = "";
    status.removeAttribute("role");
    status.replaceChildren(String(obligations.length) + " ", both("nghĩa vụ", "obligation(s)"));
    const rc = Array.isArray(data) ? null : data.receipt;
    receiptBox.hidden = !rc;
    receipt.textContent = rc ? JSON.stringify(rc, null, 2) : "";
    decision.hidden = !(rc && rc.decision_id);
    decisionId.textContent = rc && rc.decision_id ? rc.decision_id : "";
  };

  const fail = (...message) => {
    table.hidden = true;
    receiptBox.hidden = true;
    decision.hidden = true;
    status.className = "error";
    status.setAttribute("role", "alert");
    status.replaceChildren(...message);
  };

  typeSelect.addEventListener("change", showType);
  showType();
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const key = document.getElementById("api-key").value.trim();
    status.className = "";
    status.textContent = "…";
    try {
      const res = await request(form.dataset.notifyUrl, key, {
        method: "POST", body: JSON.stringify(payload()),
      });
      if (!res.ok) {
        fail(await problem(res));
        return;
      }
      const data = await res.json();
      show(data);
    } catch (e) {
      fail(both("Không gửi được: ", "Could not send: "), e.message);
    }
  });
})();

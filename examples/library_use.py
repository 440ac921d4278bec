"""Using quyche-rules from Python, as a document-management system would.

Run: python examples/library_use.py
"""

from __future__ import annotations

from quyche_rules import Engine, EventError

engine = Engine()  # loads rules/, compiles them into durable-rules (or the Python backend)

# A written coordination request arrives (Art. 3.1): who owes what, and by when?
request = {
    "type": "coordination_requested",
    "date": "2025-01-23",
    "requester": "Đảng ủy Khối",
    "requested": "ban noi chinh tinh uy",  # names may be written without diacritics
    "received_on": "2025-01-24",
}
for ob in engine.who_must_be_notified(request):
    names = ", ".join(c.name_vi for c in ob.counterparties)
    print(f"{ob.basis.label}: {ob.obligated.name_vi} → {names}: {ob.duty_vi}; hạn {ob.due}")
    print(f"  silence means: {ob.silence_means}; computed as: {ob.due_computation}")
    why = engine.explain(ob)
    print(f"  „{why.quote[:90]}…“")

# Every duty of one body, standing and periodic ones included.
for entry in engine.duties_of("Ban Tổ chức Tỉnh ủy"):
    print(entry.rule.id, "-", entry.binds_as)

# Bad input gets the library's own error, naming the field.
try:
    engine.who_must_be_notified({"type": "coordination_requested", "date": "2025-02-30"})
except EventError as exc:
    print("rejected:", exc)

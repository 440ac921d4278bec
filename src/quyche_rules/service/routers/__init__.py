"""One router per concern, included by ``app.create_app`` (``app.ROUTERS``): notify
(decisions on events), queries (duties, deadlines), track (the coordination tracker:
record, status, case history, iCalendar feed; authorisation rules in its docstring),
decisions (the log read back), lookup (rules, clauses, coverage, schemas), health.

Every decision an endpoint takes goes through ``decide.prepare``/``decide.commit``, so
its answer carries a receipt and is logged; reads of stored things (decisions, cases) are
filtered with ``auth.may_read`` and answer 404, never 403, when the key may not see them.
"""

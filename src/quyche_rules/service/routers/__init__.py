"""One router per concern, included by ``app.create_app`` (``app.ROUTERS``).

The tracker (issue 13) adds one more module here, ``track.py``, and one entry in
``ROUTERS`` (or ``create_app(extra_routers=[track.router])``). What it needs exists:

* ``POST /v1/track`` (record an event): check ``auth.may_act_as(who, <sender field>)``
  (else 404, as for anything foreign), call the tracker, then log the decision with
  ``decide.prepare(svc, "track", canonical_event, parties, result)`` and
  ``decide.commit(svc, who, [pending])`` so the answer carries a receipt like every other;
* ``GET /v1/track/status?as_of=``, case history ``GET /v1/track/cases/{id}`` and the
  iCalendar feed ``GET /v1/track/{party}.ics``: filter with ``auth.may_read(who,
  case_parties, registry)``; a case the key may not read is a 404, never a 403;
* the tracker object goes on ``deps.Services`` (one more field), built in ``create_app`` on
  the same database URL (``settings.db_url``).
"""

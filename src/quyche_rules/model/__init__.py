"""The model: what the regulation talks about, as validated data.

Events (the vocabulary in ``events``/``event_values``, their validation in ``field_types``
and ``event_checks``), the party registry and provincial profiles, obligations and their
vocabulary, and ``Basis`` (where in the text a duty comes from).

May import: io, errors (and the calendar, for nothing today). Imported by every layer above.
"""

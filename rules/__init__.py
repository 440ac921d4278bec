"""Marker: rules/ ships in the wheel as the data package ``quyche_rules._rules``.

No code lives here; ``quyche_rules.resources`` is the one module that reads this directory.
"""

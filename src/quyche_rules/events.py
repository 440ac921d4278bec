"""``quyche_rules.events``, as other systems import it: the event models and their
validation now live in ``quyche_rules.model`` (``events``, ``event_values``,
``field_types``, ``event_checks``); this module keeps the old import path working."""

from quyche_rules.model.event_checks import *  # noqa: F403
from quyche_rules.model.event_values import *  # noqa: F403
from quyche_rules.model.events import *  # noqa: F403
from quyche_rules.model.field_types import *  # noqa: F403

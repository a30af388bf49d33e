"""Who may see what: partner clearances and the one decision that applies them.

Today the graph queries use it; delivery routing and alerts are to call the same ``may_see``.
"""

from policy.clearance import (
    Caller,
    Clearance,
    clearance_for,
    load_clearances,
    may_see,
    require_role,
    visible_pairs,
)

__all__ = ["Caller", "Clearance", "clearance_for", "load_clearances", "may_see", "require_role",
           "visible_pairs"]

"""The domain as data: signal contract, the records between stages (``resolved``, ``delivery``,
``alert_proposal``) and the graph's node and edge types, declared once."""

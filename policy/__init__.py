"""Who may see what: the partner registry and clearances (``registry``, ``clearance``), the one
field policy every answer goes through (``view``), retention (``retention``), suppression of
erased and purged records (``suppression``) and the registry as it changes at run time
(``live``)."""

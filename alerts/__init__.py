"""OM alerts: rules over the graph propose dossiers to the public prosecutor; an analyst of the
reviewing partner releases them (or rejects them).

- ``config``: the rules as configuration (``rules.yaml``);
- ``evaluate``: the rules as pure functions; ``lifecycle``: what an evaluation does to an alert;
- ``dossier``: the document the reviewer checks and the OM receives;
- ``store``: Neo4j reads and writes; ``engine``: the consumer that evaluates and proposes;
  ``engine_process``: the engine as a process, wired from settings (``run_alert_engine``);
- ``release``: list, show, approve, reject (audited); ``cli``: ``ketenlink alerts ...``.
"""

"""The analysts' web explorer: search, profile, network, alerts and merge review."""

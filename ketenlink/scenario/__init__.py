"""``ketenlink scenario run``: hand-written scenario files (../shared/scenarios/FORMAT.md) sent
through the running platform as each partner's native input, every ``expect`` item checked as an
analyst, a partner or the alert engine would see it."""

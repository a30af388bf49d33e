"""faust-streaming workers: validate, deduplicate, resolve, score and route signals."""

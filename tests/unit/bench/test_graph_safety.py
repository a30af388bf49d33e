"""The graph benchmark refuses to start unless it may wipe the database."""

from __future__ import annotations

import pytest

from bench.graph import GraphBenchOptions, WipeRefusedError, run_graph_bench
from core.settings import Neo4jSettings, Settings
from graph.exceptions import GraphError


def test_refuses_without_wipe_graph() -> None:
    settings = Settings(neo4j=Neo4jSettings(bolt_port=1))  # nothing listens: it must not connect
    with pytest.raises(WipeRefusedError, match="--wipe-graph") as caught:
        run_graph_bench(settings, GraphBenchOptions(signals=300), print)
    assert isinstance(caught.value, GraphError)
    assert caught.value.uri == "bolt://127.0.0.1:1"

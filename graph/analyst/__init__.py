"""The pieces of the analyst queries (``graph.queries.AnalystQueries`` is the entry point):
parameters (``params``), constant Cypher (``cypher``), rows to results (``build``), result types
(``model``) and the networkx algorithms on projected subgraphs (``rings``)."""

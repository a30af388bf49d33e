"""The domain as data: signal contract and the graph's node and edge types, declared once."""

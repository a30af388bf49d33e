"""The authenticated HTTP gateway partners publish signals through (``POST /v1/signals``).

``app.create_gateway_app`` builds the FastAPI app from its collaborators; ``server.run_gateway``
serves it; ``server.create_token`` / ``revoke_tokens`` manage partner tokens for the CLI.
"""

"""Serving: the listening socket, a taken port, and the background server the benchmark uses."""

from __future__ import annotations

import socket

import httpx
import pytest
from fastapi import FastAPI

from core.http_serving import serve_in_background
from producers.exceptions import GatewayStartError
from producers.gateway.server import _listen


def test_the_listening_socket_is_tcp_so_asyncio_sets_nodelay() -> None:
    # proto 0 (socket.create_server) makes asyncio skip TCP_NODELAY: ~40 ms per keep-alive reply.
    sock = _listen("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_a_taken_port_names_the_setting_to_change() -> None:
    taken = _listen("127.0.0.1", 0)
    try:
        port = taken.getsockname()[1]
        with pytest.raises(GatewayStartError) as caught:
            _listen("127.0.0.1", port)
    finally:
        taken.close()
    assert caught.value.port == port
    assert "KETENLINK_GATEWAY__PORT" in str(caught.value)


def test_serve_in_background_answers_and_stops() -> None:
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    with serve_in_background(app) as base_url, httpx.Client(base_url=base_url) as client:
        assert [client.get("/ping").json() for _ in range(3)] == [{"pong": "yes"}] * 3
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/ping", timeout=2.0)

"""Serving over TLS: HTTPS with a certificate from the installation's CA, nothing in clear."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from core.exceptions import ServiceStartError
from core.http_serving import serve_in_background
from core.settings import ExplorerSettings, TlsFiles
from infra.tls import ensure_ca, ensure_server_certificate


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def test_a_service_with_tls_answers_https_only(tmp_path: Path) -> None:
    made = ensure_server_certificate(tmp_path, "explorer", ["127.0.0.1"])
    tls = TlsFiles(cert_file=made.chain_file, key_file=made.key_file)
    with serve_in_background(_app(), tls=tls) as url:
        assert url.startswith("https://127.0.0.1:")
        trusting = ssl.create_default_context(cafile=ensure_ca(tmp_path))
        answer = httpx.get(f"{url}/healthz", verify=trusting)
        assert answer.json() == {"status": "ok"}
        with pytest.raises(httpx.ConnectError):  # a client that does not trust the CA
            httpx.get(f"{url}/healthz")
        with pytest.raises(httpx.HTTPError):  # plain HTTP gets no answer
            httpx.get(url.replace("https://", "http://") + "/healthz", timeout=3)


def test_missing_tls_files_are_named(tmp_path: Path) -> None:
    tls = TlsFiles(cert_file=tmp_path / "cert.pem", key_file=tmp_path / "key.pem")
    with pytest.raises(ServiceStartError, match=r"cert\.pem"), \
            serve_in_background(_app(), tls=tls):
        pass


def test_tls_settings_need_both_files_and_make_the_cookie_secure(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="both"):
        TlsFiles(cert_file=tmp_path / "cert.pem")
    assert not ExplorerSettings().cookie_secure
    on = TlsFiles(cert_file=tmp_path / "c.pem", key_file=tmp_path / "k.pem")
    assert ExplorerSettings(tls=on).cookie_secure
    assert ExplorerSettings(secure_cookie=True).cookie_secure  # behind a proxy ending TLS
    assert not ExplorerSettings(tls=on, secure_cookie=False).cookie_secure

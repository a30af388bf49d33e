"""The installation's CA and the server certificates it signs."""

from __future__ import annotations

import os
import ssl
import stat
from pathlib import Path

from cryptography import x509

from infra.tls import ensure_ca, ensure_server_certificate


def test_server_certificate_chains_to_the_ca_and_names_its_hosts(tmp_path: Path) -> None:
    made = ensure_server_certificate(tmp_path, "kafka", ["127.0.0.1", "localhost"])
    cert = x509.load_pem_x509_certificate(made.chain_file.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    ca = x509.load_pem_x509_certificate(ensure_ca(tmp_path).read_bytes())
    cert.verify_directly_issued_by(ca)
    for private in (made.key_file, made.keystore_file, tmp_path / "ca.key.pem"):
        assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    # Python's own TLS stack accepts the pair (what uvicorn and kafka-python use)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(made.chain_file, made.key_file)


def test_certificates_are_kept_and_made_again_for_other_hosts(tmp_path: Path) -> None:
    first = ensure_server_certificate(tmp_path, "kafka", ["127.0.0.1"])
    pem = first.chain_file.read_bytes()
    assert ensure_server_certificate(tmp_path, "kafka", ["127.0.0.1"]).chain_file.read_bytes() \
        == pem
    ca = ensure_ca(tmp_path).read_bytes()
    again = ensure_server_certificate(tmp_path, "kafka", ["127.0.0.1", "broker.example"])
    assert again.chain_file.read_bytes() != pem
    assert ensure_ca(tmp_path).read_bytes() == ca  # one CA for the installation

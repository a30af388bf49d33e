"""The installation's own certificate authority and the server certificates it signs.

``ketenlink stack up`` under ``security=sasl_ssl`` makes (once) a local CA and a certificate for
the Kafka brokers with the loopback names they are reached by; clients trust the CA
(``KafkaSettings.ca_file``). Private keys are written 0600 and never leave ``tls_dir``. A real
deployment points ``ca_file`` at its own CA and gives the brokers certificates from it; the
code paths are the same.

Files under ``tls_dir``: ``ca.pem`` and ``ca.key.pem``; per server ``<name>.pem`` (its
certificate, then the CA's) and ``<name>.key.pem``; for Kafka also ``<name>.keystore.pem``, the
PEM key store (key and chain in one file) that ``ssl.keystore.type=PEM`` reads.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from core.private_files import locked, write_private

CA_DAYS = 3650
SERVER_DAYS = 825
"""The longest validity browsers accept for a server certificate."""
CA_NAME = "Ketenlink local CA"


@dataclass(frozen=True)
class ServerCertificate:
    """Where one server's key, certificate chain and PEM key store are."""

    key_file: Path
    chain_file: Path
    keystore_file: Path


def ensure_ca(tls_dir: Path) -> Path:
    """The CA certificate's path, making the CA (key 0600) the first time."""
    cert_file, key_file = tls_dir / "ca.pem", tls_dir / "ca.key.pem"
    with locked(tls_dir / "ca"):
        if cert_file.is_file() and key_file.is_file():
            return cert_file
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5))
                .not_valid_after(now + dt.timedelta(days=CA_DAYS))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(
                    digital_signature=False, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=True,
                    crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                               critical=False)
                .sign(key, hashes.SHA256()))
        write_private(key_file, _key_pem(key))
        write_private(cert_file, cert.public_bytes(serialization.Encoding.PEM))
        return cert_file


def ensure_server_certificate(tls_dir: Path, name: str,
                              hosts: Sequence[str]) -> ServerCertificate:
    """A certificate for server ``name`` valid for ``hosts`` (IP addresses or DNS names),
    signed by the local CA; made again when missing, expiring within 30 days or not covering
    ``hosts``."""
    ca_file = ensure_ca(tls_dir)
    paths = ServerCertificate(key_file=tls_dir / f"{name}.key.pem",
                              chain_file=tls_dir / f"{name}.pem",
                              keystore_file=tls_dir / f"{name}.keystore.pem")
    with locked(tls_dir / name):
        if _still_good(paths, hosts):
            return paths
        ca_cert = x509.load_pem_x509_certificate(ca_file.read_bytes())
        ca_key = serialization.load_pem_private_key((tls_dir / "ca.key.pem").read_bytes(), None)
        assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                .issuer_name(ca_cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5))
                .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
                .add_extension(x509.SubjectAlternativeName(_alt_names(hosts)), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                      ExtendedKeyUsageOID.CLIENT_AUTH]),
                               critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    ca_key.public_key()), critical=False)
                .sign(ca_key, hashes.SHA256()))
        chain = cert.public_bytes(serialization.Encoding.PEM) + ca_file.read_bytes()
        write_private(paths.key_file, _key_pem(key))
        write_private(paths.chain_file, chain)
        write_private(paths.keystore_file, _key_pem(key) + chain)
        return paths


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _alt_names(hosts: Sequence[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(hosts):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def _still_good(paths: ServerCertificate, hosts: Sequence[str]) -> bool:
    if not all(p.is_file() for p in (paths.key_file, paths.chain_file, paths.keystore_file)):
        return False
    cert = x509.load_pem_x509_certificate(paths.chain_file.read_bytes())
    if cert.not_valid_after_utc < dt.datetime.now(dt.UTC) + dt.timedelta(days=30):
        return False
    covered = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return set(map(str, _alt_names(hosts))) <= set(map(str, covered))

"""The Kafka ACL table, the users, the broker's security properties and the client options."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from core.kafka_clients import ADMIN_USER, KafkaLoginError, client_options, faust_credentials
from core.settings import KafkaSettings
from core.topics import load_layout
from infra.kafka_security import (
    Grant,
    acl_table,
    ensure_credentials,
    scram_format_arguments,
    security_properties,
    users,
)
from infra.kafka_server import server_properties

LAYOUT = load_layout(prefix="p.")
TABLE = acl_table(LAYOUT, "app")


def granted(user: str) -> set[tuple[str, str, str, str]]:
    return {(g.resource, g.name, g.operation, g.pattern) for g in TABLE if g.user == user}


def test_an_inbound_and_recipient_partner_gets_exactly_its_own_topics_and_groups() -> None:
    assert granted("partner-kvk") == {
        ("TOPIC", "p.signals.in.kvk", "WRITE", "LITERAL"),
        ("TOPIC", "p.signals.in.kvk", "DESCRIBE", "LITERAL"),
        ("TOPIC", "p.deliveries.kvk", "READ", "LITERAL"),
        ("TOPIC", "p.deliveries.kvk", "DESCRIBE", "LITERAL"),
        ("GROUP", "partner-kvk", "READ", "PREFIXED"),
        ("GROUP", "partner-kvk", "DESCRIBE", "PREFIXED"),
    }


def test_a_partner_that_only_publishes_or_only_receives_gets_one_side() -> None:
    assert {n for _, n, _, _ in granted("partner-stichting-m")} == {"p.signals.in.stichting-m"}
    assert {n for r, n, _, _ in granted("partner-om") if r == "TOPIC"} == {"p.deliveries.om"}


def test_no_partner_may_touch_another_partners_topics() -> None:
    for grant in TABLE:
        if grant.user.startswith("partner-"):
            partner = grant.user.removeprefix("partner-")
            assert grant.pattern == "LITERAL" or grant.resource == "GROUP"
            assert grant.name in {f"p.signals.in.{partner}", f"p.deliveries.{partner}",
                                  grant.user}, grant
            assert grant.operation in {"READ", "WRITE", "DESCRIBE"}


def test_services_write_only_what_their_job_needs() -> None:
    def written(user: str) -> set[str]:
        return {g.name for g in TABLE if g.user == user and g.operation in ("WRITE", "ALL")}

    assert written("svc-gateway") == {f"p.signals.in.{p}" for p in LAYOUT.partners}
    assert written("svc-router") == {"p.deliveries.", "p.signals.rejected"}  # every recipient,
    # those switched on at run time too (and, by the prefix, deliveries.dead)
    assert written("svc-sink") == {"p.signals.rejected"}  # what the graph refuses, parked
    assert written("svc-worker") == {"p.signals.normalised", "p.signals.rejected",
                                     "p.signals.resolved", "p.entities.merges", "app-"}
    assert not any(g.user == ADMIN_USER for g in TABLE)  # a super user needs no ACL
    # analyst judgements (the resolver's decision log) come only from the explorer
    assert {g.user for g in TABLE if g.name == "p.resolver.judgements"
            and g.operation == "WRITE"} == {"svc-explorer"}


def test_every_topic_named_in_the_table_exists_in_the_spec() -> None:
    names = {t.name for t in LAYOUT.topics}
    for grant in TABLE:
        if grant.resource == "TOPIC" and grant.pattern == "LITERAL":
            assert grant.name in names


def test_grant_round_trips_through_a_kafka_acl() -> None:
    for grant in TABLE:
        assert Grant.from_acl(grant.to_acl()) == grant


def test_users_one_per_partner_and_service() -> None:
    names = users(LAYOUT)
    assert names[0] == ADMIN_USER
    assert {"partner-gemeente.gm0599", "partner-riec.den-haag", "partner-stichting-m"} <= set(names)
    assert "svc-worker" in names and len(names) == len(set(names))


def test_plaintext_broker_has_no_security_properties(tmp_path: Path) -> None:
    kafka = KafkaSettings(credentials_file=tmp_path / "c.json")
    assert security_properties(kafka, 1, 2) == {}
    assert scram_format_arguments(kafka) == []
    assert "PLAINTEXT://127.0.0.1:19092" in server_properties(kafka, tmp_path)
    assert not (tmp_path / "c.json").exists()


def test_sasl_broker_properties(tmp_path: Path) -> None:
    kafka = KafkaSettings(security="sasl", credentials_file=tmp_path / "c.json")
    text = server_properties(kafka, tmp_path)
    props = dict(line.split("=", 1) for line in text.splitlines())
    assert props["listeners"] == ("SASL_PLAINTEXT://127.0.0.1:19092,"
                                  "CONTROLLER://127.0.0.1:19093")
    assert props["advertised.listeners"] == "SASL_PLAINTEXT://127.0.0.1:19092"
    assert props["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["authorizer.class.name"].endswith("StandardAuthorizer")
    assert props["super.users"] == "User:admin;User:ANONYMOUS"
    password = ensure_credentials(kafka.credentials_file, [])[ADMIN_USER].get_secret_value()
    assert f'password="{password}"' in props[
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config"]
    assert scram_format_arguments(kafka) == [
        "--add-scram", f"SCRAM-SHA-512=[name=admin,password={password}]"]


def test_credentials_are_random_kept_and_private(tmp_path: Path) -> None:
    path = tmp_path / "creds.json"
    first = ensure_credentials(path, ["a", "b"])
    assert first["a"].get_secret_value() != first["b"].get_secret_value()
    assert len(first["a"].get_secret_value()) >= 32
    second = ensure_credentials(path, ["a", "c"])
    assert second["a"] == first["a"] and set(second) == {"a", "b", "c"}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_client_options_plaintext_and_sasl(tmp_path: Path) -> None:
    path = tmp_path / "creds.json"
    assert client_options(KafkaSettings()) == {"bootstrap_servers": "127.0.0.1:19092"}
    assert faust_credentials(KafkaSettings()) is None
    ensure_credentials(path, ["svc-sink"])
    kafka = KafkaSettings(security="sasl", user="svc-sink", credentials_file=path)
    options = client_options(kafka)
    assert options["security_protocol"] == "SASL_PLAINTEXT"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "svc-sink"
    assert options["sasl_plain_password"] == \
        ensure_credentials(path, [])["svc-sink"].get_secret_value()
    direct = kafka.model_copy(update={"password": SecretStr("given")})
    assert client_options(direct)["sasl_plain_password"] == "given"
    credentials = faust_credentials(direct)
    assert credentials is not None and credentials.mechanism.value == "SCRAM-SHA-512"
    assert "given" not in repr(credentials) and "given" not in repr(direct)


def test_sasl_without_a_user_or_password_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KafkaLoginError, match="KETENLINK_KAFKA__USER"):
        client_options(KafkaSettings(security="sasl", credentials_file=tmp_path / "x.json"))
    with pytest.raises(KafkaLoginError, match="svc-x"):
        client_options(KafkaSettings(security="sasl", user="svc-x",
                                     credentials_file=tmp_path / "x.json"))


def test_sasl_ssl_broker_and_client_speak_tls_with_the_local_ca(tmp_path: Path) -> None:
    path = tmp_path / "creds.json"
    ensure_credentials(path, ["svc-sink"])
    kafka = KafkaSettings(security="sasl_ssl", user="svc-sink", credentials_file=path,
                          tls_dir=tmp_path / "tls")
    with pytest.raises(KafkaLoginError, match=r"ca\.pem"):  # no CA yet: a clear error
        client_options(kafka)
    props = dict(line.split("=", 1) for line in server_properties(kafka, tmp_path).splitlines())
    assert props["listeners"] == "SASL_SSL://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["inter.broker.listener.name"] == "SASL_SSL"
    assert props["ssl.keystore.type"] == "PEM"
    assert Path(props["ssl.keystore.location"]).is_file()
    assert Path(props["ssl.truststore.location"]) == (tmp_path / "tls" / "ca.pem").resolve()
    assert "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config" in props
    options = client_options(kafka)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["ssl_cafile"] == str(tmp_path / "tls" / "ca.pem")
    assert options["ssl_check_hostname"] is True
    credentials = faust_credentials(kafka)
    assert credentials is not None and credentials.protocol.value == "SASL_SSL"

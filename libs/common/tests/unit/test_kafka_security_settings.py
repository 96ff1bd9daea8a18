"""The Kafka security settings: what combinations start, how the prefixes apply, and that the password
shows nowhere but in the clients' own options."""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from gov_common.bus import create_bus
from gov_common.bus.kafka import KafkaBus
from gov_common.settings import ServiceSettings

PASSWORD = "s3cret-Pa55word-value"


class CatalogLike(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="ignore")


def kafka(**kwargs: Any) -> ServiceSettings:
    return ServiceSettings(service_name="catalog", event_bus="kafka", **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kafka_security_protocol": "SASL_SSL"}, "SASL_SSL needs kafka_sasl_username and kafka_sasl_password"),
        (
            {"kafka_security_protocol": "SASL_PLAINTEXT", "kafka_sasl_password": PASSWORD},
            "SASL_PLAINTEXT needs kafka_sasl_username",
        ),
        (
            {"kafka_security_protocol": "SASL_SSL", "kafka_sasl_username": "catalog-kafka"},
            "needs kafka_sasl_username and kafka_sasl_password",
        ),
        ({"kafka_sasl_username": "catalog-kafka", "kafka_sasl_password": PASSWORD}, "PLAINTEXT has no SASL"),
        (
            {
                "kafka_security_protocol": "SASL_PLAINTEXT",
                "kafka_sasl_username": "catalog-kafka",
                "kafka_sasl_password": PASSWORD,
                "kafka_ssl_cafile": "/ca.crt",
            },
            "SASL_PLAINTEXT has no TLS",
        ),
        ({"kafka_security_protocol": "SSL", "kafka_ssl_certfile": "/client.crt"}, "go together"),
        ({"kafka_security_protocol": "SASL_SSL", "kafka_sasl_mechanism": "SCRAM-SHA-1"}, "kafka_sasl_mechanism"),
        (
            {
                "environment": "production",
                "kafka_security_protocol": "SASL_PLAINTEXT",
                "kafka_sasl_mechanism": "PLAIN",
                "kafka_sasl_username": "catalog-kafka",
                "kafka_sasl_password": PASSWORD,
            },
            "sends the password in clear",
        ),
    ],
)
def test_bad_combinations_stop_the_start(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        kafka(**kwargs)
    assert PASSWORD not in str(caught.value)


def test_plain_without_tls_is_allowed_outside_production() -> None:
    settings = kafka(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="PLAIN",
        kafka_sasl_username="dev",
        kafka_sasl_password=PASSWORD,
    )
    assert settings.kafka_sasl_mechanism == "PLAIN"


def test_shared_settings_with_the_services_own_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """As the manifests set them: protocol and CA for all (GOV_), user and password per service."""
    ca = tmp_path / "ca.crt"
    ca.write_bytes(_certificate()[0])
    monkeypatch.setenv("GOV_EVENT_BUS", "kafka")
    monkeypatch.setenv("GOV_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("GOV_KAFKA_SSL_CAFILE", str(ca))
    monkeypatch.setenv("GOV_KAFKA_SASL_USERNAME", "shared")
    monkeypatch.setenv("CATALOG_KAFKA_SASL_USERNAME", "catalog-kafka")
    monkeypatch.setenv("CATALOG_KAFKA_SASL_PASSWORD", PASSWORD)
    settings = CatalogLike(service_name="catalog")
    assert settings.kafka_sasl_username == "catalog-kafka"
    assert settings.kafka_sasl_mechanism == "SCRAM-SHA-512"
    assert settings.kafka_sasl_password.get_secret_value() == PASSWORD
    bus = create_bus(settings)
    assert isinstance(bus, KafkaBus)
    # The password reaches the clients' options and nothing that gets printed or logged.
    assert bus.connection["sasl_plain_password"] == PASSWORD
    assert bus.connection["sasl_plain_username"] == "catalog-kafka"
    assert bus.connection["sasl_mechanism"] == "SCRAM-SHA-512"
    for shown in (repr(settings), str(settings), settings.model_dump_json(), repr(bus.security), str(vars(settings))):
        assert PASSWORD not in shown
    context = bus.connection["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert len(context.get_ca_certs()) == 1  # the given CA, not the system's


def test_plaintext_by_default() -> None:
    bus = create_bus(kafka())
    assert isinstance(bus, KafkaBus)
    assert bus.connection == {"bootstrap_servers": "127.0.0.1:9092", "security_protocol": "PLAINTEXT"}


def test_missing_or_mismatched_tls_files_fail_when_the_bus_is_made(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        create_bus(kafka(kafka_security_protocol="SSL", kafka_ssl_cafile=tmp_path / "missing.crt"))
    cert, key = _certificate()
    (tmp_path / "client.crt").write_bytes(cert)
    (tmp_path / "client.key").write_bytes(key)
    (tmp_path / "other.key").write_bytes(_certificate()[1])
    mtls = {"kafka_security_protocol": "SSL", "kafka_ssl_certfile": tmp_path / "client.crt"}
    bus = create_bus(kafka(**mtls, kafka_ssl_keyfile=tmp_path / "client.key"))
    assert isinstance(bus, KafkaBus) and isinstance(bus.connection["ssl_context"], ssl.SSLContext)
    with pytest.raises(ssl.SSLError):
        create_bus(kafka(**mtls, kafka_ssl_keyfile=tmp_path / "other.key"))


def _certificate() -> tuple[bytes, bytes]:
    """A self-signed certificate and its key (PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "catalog-kafka")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), pem_key

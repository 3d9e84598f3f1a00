"""Start-up refuses unusable keys, naming the entry; keys match in constant time."""

import pytest

from infra.config.credentials import Credential, hash_key
from services.http.auth import InvalidCredentials, KeyRing
from services.http.keycheck import estimated_bits
from tests.support.ingest import strong_key


def cred(**kw: str) -> Credential:
    return Credential.model_validate({"role": "agency", "agency": "police", **kw})


def dev_ring(*credentials: Credential) -> KeyRing:
    return KeyRing(list(credentials), environment="development")


@pytest.mark.parametrize("key", ["CHANGE-ME", "changeme", "<police key>", "xxxxxxxx", "  "])
def test_placeholder_key_is_refused_naming_the_entry(key: str) -> None:
    with pytest.raises(InvalidCredentials, match=r"credentials\[1\]\.key \(role=agency"):
        dev_ring(cred(key=strong_key()), cred(key=key))


def test_no_credentials_at_all_is_refused() -> None:
    with pytest.raises(InvalidCredentials, match="no \\[\\[credentials\\]\\]"):
        KeyRing([])


@pytest.mark.parametrize("placeholder", ["", "changeme", "CHANGEME", "secret\n", "password"])
def test_digest_of_a_placeholder_is_refused_naming_the_entry(placeholder: str) -> None:
    with pytest.raises(InvalidCredentials, match=r"credentials\[0\]\.key_sha256 .*placeholder"):
        KeyRing([cred(key_sha256=hash_key(placeholder))])


@pytest.mark.parametrize(
    "weak",
    [
        "0123456789abcdef0123456789abcde",  # 31 hex digits: 124 bits
        "12345678901234567890123456789012345678",  # 38 digits: 126 bits
        "s3cret-police-key",  # 17 characters of base64url: 102 bits
    ],
)
def test_a_key_under_128_bits_is_refused_without_printing_it(weak: str) -> None:
    with pytest.raises(InvalidCredentials, match=r"credentials\[1\]\.key .*too weak") as error:
        dev_ring(cred(key=strong_key()), cred(key=weak, role="reviewer"))

    assert weak not in str(error.value)


def test_strength_is_estimated_from_length_and_alphabet() -> None:
    assert estimated_bits("0f" * 16) == 128  # openssl rand -hex 16
    assert estimated_bits("+/" + "A" * 41 + "=") == 43 * 6  # openssl rand -base64 32
    assert estimated_bits("1" * 10) < 34


def test_the_same_key_for_two_credentials_is_refused_naming_both() -> None:
    key = strong_key()

    with pytest.raises(InvalidCredentials, match=r"credentials\[2\].*credentials\[0\]") as error:
        dev_ring(
            cred(key=key),
            cred(key=strong_key(), agency="edt"),
            Credential(role="reviewer", key_sha256=hash_key(key)),
        )

    assert key not in str(error.value)


def test_a_plain_text_key_is_refused_outside_development() -> None:
    key = strong_key()

    with pytest.raises(InvalidCredentials, match=r"credentials\[0\]\.key .*key_sha256"):
        KeyRing([cred(key=key)])

    assert KeyRing([cred(key_sha256=hash_key(key))]).identify(key) is not None
    assert dev_ring(cred(key=key)).identify(key) is not None


def test_key_given_as_digest_identifies_its_holder() -> None:
    key = strong_key()
    ring = KeyRing([cred(key_sha256=hash_key(key), name="police-system")])

    principal = ring.identify(key)

    assert principal is not None and principal.name == "police-system"
    assert principal.key_id == hash_key(key)[:12]
    assert ring.identify(key + "x") is None

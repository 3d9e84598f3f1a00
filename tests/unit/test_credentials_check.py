"""Start-up refuses unusable keys, naming the entry; keys match in constant time."""

import pytest

from infra.config.credentials import Credential, hash_key
from services.http.auth import InvalidCredentials, KeyRing


def cred(**kw: str) -> Credential:
    return Credential.model_validate({"role": "agency", "agency": "police", **kw})


@pytest.mark.parametrize("key", ["CHANGE-ME", "changeme", "<police key>", "xxxxxxxx", "  "])
def test_placeholder_key_is_refused_naming_the_entry(key: str) -> None:
    with pytest.raises(InvalidCredentials, match=r"credentials\[1\]\.key \(role=agency"):
        KeyRing([cred(key="a-real-key-9f8e7d6c5b4a"), cred(key=key)])


def test_no_credentials_at_all_is_refused() -> None:
    with pytest.raises(InvalidCredentials, match="no \\[\\[credentials\\]\\]"):
        KeyRing([])


def test_digest_of_the_empty_key_is_refused() -> None:
    with pytest.raises(InvalidCredentials):
        KeyRing([cred(key_sha256=hash_key(""))])


def test_key_given_as_digest_identifies_its_holder() -> None:
    ring = KeyRing([cred(key_sha256=hash_key("s3cret-police-key"), name="police-system")])

    principal = ring.identify("s3cret-police-key")

    assert principal is not None and principal.name == "police-system"
    assert principal.key_id == hash_key("s3cret-police-key")[:12]
    assert ring.identify("s3cret-police-kez") is None

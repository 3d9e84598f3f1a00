"""Start-up checks on ``[[credentials]]``: a weak, shared, placeholder or (outside
development) plain-text key stops the process, naming the entry, never the key.

Key strength is estimated conservatively from length and alphabet alone: each
character counts for log2 of the smallest usual alphabet holding every character
of the key (digits 10, hex 16, base32 32, lower-case alphanumerics 36,
alphanumerics 62, base64 64, printable ASCII 95); base64 ``=`` padding counts for
nothing. A 32-character hex key (``openssl rand -hex 16``) is 128 bits,
``openssl rand -base64 32`` 258. See ``docs/security.md``.
"""

import math
import string
from collections.abc import Sequence

from infra.config.credentials import Credential, Environment, hash_key

MIN_KEY_BITS = 128
PLACEHOLDERS = frozenset(
    {
        "",
        "changeme",
        "change-me",
        "change_me",
        "replace-me",
        "replaceme",
        "placeholder",
        "todo",
        "secret",
        "password",
        "key",
        "xxx",
        "none",
        "null",
        "example",
    }
)
_ALPHABETS: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (name, frozenset(chars))
    for name, chars in (
        ("digits", string.digits),
        ("hex", string.digits + "abcdef"),
        ("hex", string.digits + "ABCDEF"),
        ("base32", string.ascii_uppercase + "234567"),
        ("base32", string.ascii_lowercase + "234567"),
        ("alphanumeric", string.ascii_lowercase + string.digits),
        ("alphanumeric", string.ascii_uppercase + string.digits),
        ("alphanumeric", string.ascii_letters + string.digits),
        ("base64", string.ascii_letters + string.digits + "+/"),
        ("base64", string.ascii_letters + string.digits + "-_"),
    )
)
_PRINTABLE = 95


class InvalidCredentials(ValueError):
    """Configuration holds no usable key, or a placeholder: start-up must stop."""


def estimated_bits(key: str) -> float:
    """A conservative strength estimate: length times log2 of the smallest usual
    alphabet that holds every character (padding ``=`` stripped)."""
    body = key.rstrip("=")
    chars = set(body)
    size = next((len(a) for _, a in _ALPHABETS if chars <= a), _PRINTABLE)
    return len(body) * math.log2(size)


def _placeholder_digests() -> frozenset[str]:
    """Digests of the placeholders as they are likely hashed: as written, in
    capitals, and with the newline ``echo ... | sha256sum`` adds."""
    spellings = {s for p in PLACEHOLDERS for s in (p, p.upper(), p.capitalize())}
    return frozenset(hash_key(s + end) for s in spellings for end in ("", "\n"))


PLACEHOLDER_DIGESTS = _placeholder_digests()


def check_credentials(credentials: Sequence[Credential], environment: Environment) -> None:
    """Fail fast, naming the offending entry: no keys, a placeholder, a weak key,
    a key shared by two entries, or a plain-text key outside development."""
    if not credentials:
        raise InvalidCredentials("credentials: no [[credentials]] configured; nobody could post")
    seen: dict[str, int] = {}
    for index, credential in enumerate(credentials):
        problem = _problem(credential, environment)
        if problem is not None:
            raise InvalidCredentials(
                f"credentials[{index}].{problem[0]} ({_who(credential)}) {problem[1]}"
            )
        first = seen.setdefault(credential.digest, index)
        if first != index:
            raise InvalidCredentials(
                f"credentials[{index}] ({_who(credential)}) has the same key as"
                f" credentials[{first}]; every holder needs a key of its own"
            )


def _who(credential: Credential) -> str:
    who = f"role={credential.role}"
    return who + (f", agency={credential.agency}" if credential.agency else "")


def _problem(credential: Credential, environment: Environment) -> tuple[str, str] | None:
    """(field, what is wrong), or None for a usable entry."""
    if credential.key is None:
        if credential.key_sha256 in PLACEHOLDER_DIGESTS:
            return "key_sha256", "is the digest of a placeholder; hash a random key instead"
        return None
    key = credential.key.get_secret_value()
    if _is_placeholder(key):
        return "key", (
            "is missing or a placeholder; set a random key (e.g. `openssl rand -base64 32`)"
            " or key_sha256"
        )
    if environment != "development":
        return "key", (
            'is plain text, allowed only with environment = "development";'
            ' configure key_sha256 (printf %s "$KEY" | sha256sum) instead'
        )
    if estimated_bits(key.strip()) < MIN_KEY_BITS:
        return "key", (
            f"is too weak (under {MIN_KEY_BITS} bits by length and alphabet);"
            " generate one with `openssl rand -base64 32`"
        )
    return None


def _is_placeholder(key: str) -> bool:
    key = key.strip()
    lowered = key.lower()
    return (
        lowered in PLACEHOLDERS
        or (key.startswith("<") and key.endswith(">"))
        or ("change" in lowered and "me" in lowered)
        or len(set(key)) <= 1
    )

"""The development config ``safeguard serve`` writes when given none.

Fresh random keys, one file, mode 0600, reused on later runs so that keys
handed to local integrators keep working. It says ``environment = "development"``,
the one kind of config allowed plain-text keys.
"""

import base64
import os
import secrets
from pathlib import Path

from events import Agency
from infra.files import private_dir

FILE_NAME = "safeguard.toml"
HEADER = """\
# Safeguard development configuration, written by `safeguard serve` because no
# --config or SAFEGUARD_CONFIG was given. The keys are random and local: keep this
# file private. For production, write your own config with key_sha256 entries.
"""
ENVIRONMENT_LINE = 'environment = "development"\n'


def dev_config_path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def ensure_dev_config(data_dir: Path) -> tuple[Path, bool]:
    """The dev config's path, and whether it was written just now."""
    path = dev_config_path(data_dir)
    if path.exists():
        _mark_development(path)
        return path, False
    private_dir(data_dir)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(render_dev_config(data_dir))
    return path, True


def render_dev_config(data_dir: Path) -> str:
    entries: list[tuple[str, str, str | None]] = [(f"{a}-system", "agency", str(a)) for a in Agency]
    entries += [
        ("edt-duty-manager", "duty_manager", str(Agency.EDT)),
        ("reviewer", "reviewer", None),
        ("admin", "admin", None),
    ]
    blocks = [_credential(name, role, agency) for name, role, agency in entries]
    data_dir_line = f"data_dir = {_toml_str(str(data_dir.resolve()))}\n"
    return HEADER + ENVIRONMENT_LINE + data_dir_line + "".join(blocks) + _trust()


def _mark_development(path: Path) -> None:
    """A dev config written before the ``environment`` setting existed holds plain
    keys only a development config may: add the line, so ``./dev run`` still starts.
    Only a file this module wrote (it starts with ``HEADER``) is touched."""
    text = path.read_text(encoding="utf-8")
    if text.startswith(HEADER) and "\nenvironment =" not in text:
        path.write_text(HEADER + ENVIRONMENT_LINE + text[len(HEADER) :], encoding="utf-8")


def _trust() -> str:
    """A fresh Ed25519 seed that signs `safeguard verify --export-checkpoint` files."""
    seed = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    return f'\n[trust]\nsigning_key_seed = "{seed}"\n'


def _credential(name: str, role: str, agency: str | None) -> str:
    lines = ["", "[[credentials]]", f'name = "{name}"', f'role = "{role}"']
    if agency:
        lines.append(f'agency = "{agency}"')
    lines.append(f'key = "{secrets.token_urlsafe(32)}"')
    return "\n".join(lines) + "\n"


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

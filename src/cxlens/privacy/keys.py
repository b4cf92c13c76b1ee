"""The pseudonymisation key: a secret kept outside the store, in a 0600 file or an environment variable.

Where the key comes from, in this order (docs/privacy.md, "Pseudonymisation"):

1. `key_file` in `[privacy]` of cxlens.toml, when set (relative to the workspace folder): it must exist and be
   readable by its owner only (mode 0600); anything else is a ConfigError naming the file and the fix.
2. The `CXLENS_PSEUDONYM_KEY` environment variable, when set: the key as hex or base64 (16 bytes at least).
3. `<workspace>/.cxlens/pseudonym.key`: created with 32 random bytes (written as hex) and mode 0600 the first
   time `cxlens init` or a load needs it; the caller tells the user where it is and to back it up.

A key file holds the key as text (hex or base64), so the same value can be put in the environment variable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cxlens.errors import ConfigError

KEY_ENV = "CXLENS_PSEUDONYM_KEY"
DEFAULT_KEY_FILE = Path(".cxlens") / "pseudonym.key"
KEY_BYTES = 32
MIN_KEY_BYTES = 16


@dataclass(frozen=True)
class PseudonymKey:
    """The secret and where it came from; `created` is the file made just now (tell the user to back it up)."""

    secret: bytes = field(repr=False)
    source: str
    created: Path | None = None


def read_key(root: str | Path, key_file: str = "", create: bool = False) -> PseudonymKey:
    """The workspace's pseudonymisation key (see the module docstring for the order); raises ConfigError.

    `create=True` makes the default key file when no key is configured anywhere (loads and `cxlens init`);
    readers that must not invent a key (identity matching, erasure by e-mail) pass False and get an error instead.
    """
    root = Path(root)
    if key_file:
        path = Path(key_file).expanduser()
        path = path if path.is_absolute() else root / path
        if not path.exists():
            raise ConfigError(f"the pseudonymisation key file {path} (key_file in cxlens.toml) does not exist; restore it "
                              f"from your backup, or remove key_file to use {KEY_ENV} or {root / DEFAULT_KEY_FILE}")
        return _from_file(path)
    text = os.environ.get(KEY_ENV)
    if text is not None and text.strip():
        return PseudonymKey(parse_key(text, f"the {KEY_ENV} environment variable"), f"environment variable {KEY_ENV}")
    path = root / DEFAULT_KEY_FILE
    if path.exists():
        return _from_file(path)
    if not create:
        raise ConfigError(f"no pseudonymisation key: {path} does not exist and {KEY_ENV} is not set; restore the key "
                          "file from your backup (a store already holding keyed values needs the key they were made "
                          "with), or, for a new workspace, run `cxlens init` to create one")
    secret = create_key_file(path)
    return PseudonymKey(secret, f"file {path}", created=path)


KEY_CHECK = "pseudonym_key_check"  # cxlens_meta key: which key a store's keyed values were made with


def key_check(secret: bytes) -> str:
    """A short fingerprint of the key (an HMAC of a fixed text, not of any data), kept in the store so a load
    with another key is refused instead of silently keying new values that no longer link to the stored ones."""
    return hmac.new(secret, b"cxlens pseudonym key check", hashlib.sha256).hexdigest()[:16]


def create_key_file(path: str | Path) -> bytes:
    """Write 32 random bytes (as hex) to a new file readable by its owner only (0600); returns them.

    The file is opened with O_EXCL and mode 0600 from the start, so it is never readable by others, not even
    for a moment; an existing file is never overwritten (that would orphan every value keyed with it).
    """
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    ignore = path.parent / ".gitignore"
    if path.parent.name == DEFAULT_KEY_FILE.parent.name and not ignore.exists():
        ignore.write_text("# the pseudonymisation key must never be committed\n*\n", encoding="utf-8")
    secret = secrets.token_bytes(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secret.hex() + "\n")
    return secret


def parse_key(text: str, where: str) -> bytes:
    """Key bytes from hex or base64 text; raises ConfigError naming `where` when it is neither or too short."""
    text = text.strip()
    secret = None
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        try:
            secret = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            pass
    if secret is None:
        raise ConfigError(f"{where} is not a key in hex or base64; generate one with "
                          "`python -c \"import secrets; print(secrets.token_hex(32))\"`")
    if len(secret) < MIN_KEY_BYTES:
        raise ConfigError(f"{where} holds a {len(secret)}-byte key; use at least {MIN_KEY_BYTES} random bytes "
                          f"({KEY_BYTES} advised): `python -c \"import secrets; print(secrets.token_hex(32))\"`")
    return secret


def _from_file(path: Path) -> PseudonymKey:
    check_permissions(path)
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the pseudonymisation key file {path}: {exc}") from exc
    return PseudonymKey(parse_key(text, f"the key file {path}"), f"file {path}")


def check_permissions(path: str | Path) -> None:
    """Refuse a key file that anyone but its owner may read or write (anything wider than 0600); ConfigError.

    On Windows (no POSIX modes) the check is skipped: keep the file in a folder only its user can open.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"the pseudonymisation key file {path} is not a regular file")
    if os.name == "nt":
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(f"the pseudonymisation key file {path} has permissions {mode:04o}, wider than 0600: others "
                          f"could read the key; run `chmod 600 {path}`")

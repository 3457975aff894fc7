"""API key format: `dl_live_` + 22 base62 characters (131 random bits) + 6 of CRC32 checksum.

Like GitHub's tokens, a key is recognisable offline (prefix) and a typo fails the checksum
before any lookup. Only the key's SHA-256 is stored: 131 random bits need no salt or slow hash.
"""

from __future__ import annotations

import hashlib
import secrets
import string
import zlib

PREFIX = "dl_live_"
ALPHABET = string.digits + string.ascii_letters
RANDOM_CHARS = 22
CHECKSUM_CHARS = 6
KEY_LENGTH = len(PREFIX) + RANDOM_CHARS + CHECKSUM_CHARS
DISPLAY_CHARS = len(PREFIX) + 4  # what listings show of a key


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), CHECKSUM_CHARS)


def new_api_key() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_CHARS))
    return f"{PREFIX}{body}{_checksum(body)}"


def is_well_formed(key: str) -> bool:
    """Prefix, length, alphabet and checksum: no database needed to refuse a mistyped key."""
    if len(key) != KEY_LENGTH or not key.startswith(PREFIX):
        return False
    body, checksum = key[len(PREFIX):-CHECKSUM_CHARS], key[-CHECKSUM_CHARS:]
    if any(c not in ALPHABET for c in body):
        return False
    return secrets.compare_digest(_checksum(body), checksum)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    return key[:DISPLAY_CHARS]

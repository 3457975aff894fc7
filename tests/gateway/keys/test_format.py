"""The API key format: recognisable offline, typos caught by the checksum."""

import re

from services.gateway.keys.format import (
    KEY_LENGTH,
    display_prefix,
    is_well_formed,
    key_digest,
    new_api_key,
)


def test_a_new_key_has_the_prefix_128_random_bits_and_a_valid_checksum():
    key = new_api_key()
    assert re.fullmatch(r"dl_live_[0-9A-Za-z]{28}", key)
    assert len(key) == KEY_LENGTH
    assert 22 * 5.954 >= 128  # 22 base62 characters carry log2(62) = 5.954 bits each
    assert is_well_formed(key)
    assert len({new_api_key() for _ in range(1000)}) == 1000


def test_every_single_character_typo_fails_the_checksum_or_the_format():
    key = new_api_key()
    for position in range(len("dl_live_"), len(key)):
        for replacement in "0aZ":
            typo = key[:position] + replacement + key[position + 1:]
            if typo != key:
                assert not is_well_formed(typo), (position, replacement)


def test_garbage_is_not_well_formed():
    for garbage in ["", "dl_live_", "Bearer x", "dl_test_" + new_api_key()[8:], new_api_key() + "x", "ü" * 36]:
        assert not is_well_formed(garbage)


def test_digest_and_display_prefix():
    key = new_api_key()
    assert re.fullmatch(r"[0-9a-f]{64}", key_digest(key))
    assert display_prefix(key) == key[:12] and key.startswith(display_prefix(key))

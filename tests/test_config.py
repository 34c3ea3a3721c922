import hashlib
from pathlib import Path

import pytest

from app.config import Settings


def test_tokens_are_kept_as_their_sha256_by_name() -> None:
    settings = Settings(curator_tokens=" alice:alice-0123456789abcdef , bob:bob-0123456789abcdef")

    hashes = settings.curator_token_hashes()

    assert hashes == {
        "alice": hashlib.sha256(b"alice-0123456789abcdef").hexdigest(),
        "bob": hashlib.sha256(b"bob-0123456789abcdef").hexdigest(),
    }


def test_no_tokens_means_none() -> None:
    assert Settings(curator_tokens="").curator_token_hashes() == {}


def test_a_file_of_hashes_adds_curators(tmp_path: Path) -> None:
    digest = "ab" * 32
    secrets = tmp_path / "curators.txt"
    secrets.write_text(f"# curators\n\ncarol {digest.upper()}  # on call\n", "utf-8")

    settings = Settings(curator_tokens="alice:alice-0123456789abcdef", curator_tokens_file=secrets)

    assert settings.curator_token_hashes()["carol"] == digest
    assert set(settings.curator_token_hashes()) == {"alice", "carol"}


@pytest.mark.parametrize(
    ("tokens", "file_text", "message"),
    [
        ("alice", None, "expected name:token"),
        ("alice:short", None, "shorter than 16"),
        ("alice:alice-0123456789abcdef,alice:other-0123456789abcdef", None, "given twice"),
        ("al ice:alice-0123456789abcdef", None, "curator name"),
        ("", "carol not-a-hash\n", "line 1: expected `name sha256-hex`"),
        ("alice:alice-0123456789abcdef", f"alice {'0' * 64}\n", "given twice"),
    ],
)
def test_a_malformed_token_setting_names_the_entry(
    tmp_path: Path, tokens: str, file_text: str | None, message: str
) -> None:
    secrets = None
    if file_text is not None:
        secrets = tmp_path / "curators.txt"
        secrets.write_text(file_text, "utf-8")
    settings = Settings(curator_tokens=tokens, curator_tokens_file=secrets)

    with pytest.raises(ValueError, match=message):
        settings.curator_token_hashes()


@pytest.mark.parametrize(
    ("token", "position"),
    [
        ("alice-0123456789abcdé", 21),
        ("alice 0123456789abcdef", 6),
        ("alice-0123456789\tabcdef", 17),
        ("alice-0123456789\x7fabcdef", 17),
        ("alice-01234=56789abcdef", 12),
        ("alice-0123456789\u00a0abcdef", 17),
    ],
    ids=["non-ascii", "space", "tab", "control", "inner-padding", "no-break-space"],
)
def test_a_token_that_cant_be_sent_as_a_bearer_token_is_refused(token: str, position: int) -> None:
    """The header is read as latin-1 and the token hashed as UTF-8: such a token could never
    match, and a space or control character can't be sent at all (RFC 6750, b64token)."""
    settings = Settings(curator_tokens=f"bob:bob-0123456789abcdef,alice:{token}")

    with pytest.raises(ValueError, match="CURATOR_TOKENS entry 2") as refused:
        settings.curator_token_hashes()

    assert f"character {position} of the token" in str(refused.value)
    assert token not in str(refused.value)


def test_every_character_of_a_bearer_token_is_accepted() -> None:
    token = "AZaz09-._~+/0123456789=="
    settings = Settings(curator_tokens=f"alice:{token}")

    assert settings.curator_token_hashes() == {"alice": hashlib.sha256(token.encode()).hexdigest()}

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.articles import SentenceSpan, read_article, split_sentences
from app.config import PROJECT_ROOT

ARTICLES_DIR = PROJECT_ROOT / "seed_data" / "articles"
ARTICLES = sorted(ARTICLES_DIR.glob("*.txt"))

# Strings that only ever appear in page furniture of the seed articles, never in article text.
CHROME_STRINGS = [
    "Skip to main content",
    "Advertisement",
    "Live broadcast",
    "Select important",
    "Озвучить текст",
    "Переведено сервисом",
    "Яндекс Переводчик",
    "Les på norsk",
    "Read-to-Earn",
    "Comment-to-Earn",
    "Avatar of",
    "Twei",
    "Add your comment",
    "(Photo:",
    "(Foto:",
]


def texts(spans: list[SentenceSpan]) -> list[str]:
    return [s.text for s in spans]


def assert_offsets_slice(text: str, spans: list[SentenceSpan]) -> None:
    assert [s.index for s in spans] == list(range(len(spans)))
    for span in spans:
        assert text[span.char_start : span.char_end] == span.text


@cache
def records_yaml() -> Any:
    return yaml.safe_load((PROJECT_ROOT / "seed_data" / "records.yaml").read_text("utf-8"))


def chrome_of(article: Path) -> list[str]:
    """The article's extra chrome lines, read straight from the records file."""
    return list(records_yaml()["sources"][article.name].get("chrome", []))


def test_quote_opening_with_an_em_dash_keeps_the_dash_and_splits_after_its_sentence() -> None:
    text = (
        "Line of communication\n"
        "\n"
        '— In general, despite statements about "managed" migration, in practice Oslo is '
        "interested in cooperation with us in Oslo. This is confirmed during regular meetings of "
        'the border services," the embassy said.\n'
    )

    spans = split_sentences(text)

    assert texts(spans) == [
        "Line of communication",
        '— In general, despite statements about "managed" migration, in practice Oslo is '
        "interested in cooperation with us in Oslo.",
        'This is confirmed during regular meetings of the border services," the embassy said.',
    ]
    assert text[spans[1].char_start] == "—"
    assert spans[1].kind == spans[2].kind == "body"
    assert_offsets_slice(text, spans)


def test_abbreviations_do_not_end_a_sentence() -> None:
    text = (
        "Talks in Kirkenes\n"
        "Vice Adm. Rune Andersen met Maj. Gen. Kudimov in the U.S. embassy. They talked for "
        "two hours.\n"
    )

    spans = split_sentences(text)

    assert texts(spans)[1:] == [
        "Vice Adm. Rune Andersen met Maj. Gen. Kudimov in the U.S. embassy.",
        "They talked for two hours.",
    ]
    assert_offsets_slice(text, spans)


def test_bullets_are_sentences_of_kind_bullet_without_their_glyph() -> None:
    text = (
        "Background\n"
        "\n"
        "· The cooperation is based on a border agreement from 1949.\n"
        "\n"
        "  • Coordination on border guard operations\n"
    )

    spans = split_sentences(text)

    bullets = [s for s in spans if s.kind == "bullet"]
    assert texts(bullets) == [
        "The cooperation is based on a border agreement from 1949.",
        "Coordination on border guard operations",
    ]
    assert text[bullets[0].char_start - 2 : bullets[0].char_start] == "· "
    assert text[bullets[1].char_start - 4 : bullets[1].char_start] == "  • "
    assert_offsets_slice(text, spans)


def test_a_heading_is_its_own_sentence_and_not_merged_with_the_next_paragraph() -> None:
    text = (
        "Norway and Russia Hold Annual Border Talks\n"
        "The talks took place in Kirkenes.\n"
        "Focus on Practical Border Management\n"
        "The agenda was strictly defined. It concentrated on practical aspects.\n"
    )

    spans = split_sentences(text)

    assert [(s.kind, s.text) for s in spans] == [
        ("title", "Norway and Russia Hold Annual Border Talks"),
        ("body", "The talks took place in Kirkenes."),
        ("heading", "Focus on Practical Border Management"),
        ("body", "The agenda was strictly defined."),
        ("body", "It concentrated on practical aspects."),
    ]
    assert_offsets_slice(text, spans)


def test_page_chrome_gets_no_sentence() -> None:
    text = (
        "Skip to main content\n"
        "Advertisement\n"
        "Live broadcast\n"
        "\n"
        "Line of communication: Russia and Norway maintain cooperation\n"
        "0\n"
        "Photo: TASS/Lev Fedoseev\n"
        "Озвучить текст\n"
        "Select important\n"
        "On\n"
        "Off\n"
        "\n"
        "Russia and Norway are working together. They meet regularly.\n"
        "\n"
        "Переведено сервисом «Яндекс Переводчик»\n"
        "\n"
        "Live broadcast\n"
        "More text that is not part of the article.\n"
    )

    spans = split_sentences(text)

    assert texts(spans) == [
        "Line of communication: Russia and Norway maintain cooperation",
        "Russia and Norway are working together.",
        "They meet regularly.",
    ]
    assert_offsets_slice(text, spans)


@pytest.mark.parametrize(
    "marker", ["Read-to-Earn opportunity", "6 Comments", "1 Comment", "Also read", "Tags"]
)
def test_nothing_after_the_end_of_the_article_is_a_sentence(marker: str) -> None:
    text = (
        "Border talks in Kirkenes\n"
        "\n"
        "The town is a hub for cross-border interaction.\n"
        "\n"
        f"{marker}\n"
        "\n"
        "Avatar of Leonardo\n"
        "Essential for regional safety. Well done.\n"
    )

    spans = split_sentences(text)

    assert texts(spans) == [
        "Border talks in Kirkenes",
        "The town is a hub for cross-border interaction.",
    ]


def test_article_specific_chrome_lines_are_skipped() -> None:
    text = (
        "Border cooperation talks\n"
        "Stolper ved den norsk-russiske grensa. (Foto: Magne Kveseth/UiT)\n"
        "The chiefs met in Kirkenes.\n"
    )
    norwegian_caption = "Stolper ved den norsk-russiske grensa. (Foto: Magne Kveseth/UiT)"

    assert "Stolper ved den norsk-russiske grensa." in texts(split_sentences(text))
    assert texts(split_sentences(text, [norwegian_caption])) == [
        "Border cooperation talks",
        "The chiefs met in Kirkenes.",
    ]


@pytest.mark.parametrize(
    ("credit", "caption"),
    [
        (
            "(Photo: Torgeir Haugaard/the Norwegian Armed Forces)",
            "Chief of the Norwegian Joint Headquarters, Vice Admiral Rune Andersen.",
        ),
        ("(Foto: Magne Kveseth/UiT)", "Border posts along the Norwegian-Russian border."),
    ],
)
def test_a_caption_keeps_its_text_but_not_the_photo_credit(credit: str, caption: str) -> None:
    text = f"Talks in Kirkenes\n\n{caption} {credit}\n\nThe chiefs met on Tuesday.\n"

    spans = split_sentences(text)

    assert [(s.kind, s.text) for s in spans[1:]] == [
        ("caption", caption),
        ("body", "The chiefs met on Tuesday."),
    ]
    assert_offsets_slice(text, spans)


def test_offsets_count_code_points_of_the_raw_text_whatever_the_line_endings() -> None:
    text = (
        "Grebņeva – Ubylinka\r\n"
        "\r\n"
        "   Latvia closed Vientuļi in 2023. It costs €45 million.\u00a0\r\n"
        "\t· Pedestrians are banned.\r\n"
    )

    spans = split_sentences(text)

    assert texts(spans) == [
        "Grebņeva – Ubylinka",
        "Latvia closed Vientuļi in 2023.",
        "It costs €45 million.",
        "Pedestrians are banned.",
    ]
    assert_offsets_slice(text, spans)


@pytest.mark.parametrize("article", ARTICLES, ids=lambda p: p.name)
def test_real_articles_split_the_same_way_every_time(article: Path) -> None:
    text = read_article(article)
    chrome = chrome_of(article)

    assert split_sentences(text, chrome) == split_sentences(read_article(article), chrome)


@pytest.mark.parametrize("article", ARTICLES, ids=lambda p: p.name)
def test_real_article_offsets_slice_the_raw_file(article: Path) -> None:
    raw = article.read_bytes().decode("utf-8")

    spans = split_sentences(read_article(article), chrome_of(article))

    assert len(spans) > 10
    assert spans[0].kind == "title"
    assert_offsets_slice(raw, spans)


@pytest.mark.parametrize("article", ARTICLES, ids=lambda p: p.name)
def test_real_articles_have_no_chrome_in_their_sentences(article: Path) -> None:
    spans = split_sentences(read_article(article), chrome_of(article))

    for span in spans:
        for chrome in CHROME_STRINGS:
            assert chrome not in span.text, f"sentence {span.index} holds chrome {chrome!r}"


@pytest.mark.parametrize(
    ("name", "end_marker"),
    [
        ("000_82da986fc3907c30.txt", "Переведено сервисом «Яндекс Переводчик»"),
        ("002_6d3e1f3cc5a138b6.txt", "Also read"),
        ("003_377aa8b1fa1c8230.txt", "Read-to-Earn opportunity"),
    ],
)
def test_real_articles_end_before_their_footer(name: str, end_marker: str) -> None:
    article = ARTICLES_DIR / name
    text = read_article(article)

    spans = split_sentences(text, chrome_of(article))

    assert spans[-1].char_end < text.index(end_marker)

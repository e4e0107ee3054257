"""The Bot API emulator's formatting parsers match Telegram: HTML and MarkdownV2 to text and entities, with
Telegram's own error messages, and the text pipeline that trims and refuses empty text."""

from __future__ import annotations

import pytest

from tests.emulator import EntityParseError, format_text, parse_html, parse_markdown_v2

pytestmark = pytest.mark.timeout(20)


def test_html_parser_matches_telegram() -> None:
    text, entities = parse_html("<b>bold <i>both</i></b> 😀 <a href='t.me/x'>l</a>")
    assert text == "bold both 😀 l"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 9},
        {"type": "italic", "offset": 5, "length": 4},
        {"type": "text_link", "offset": 13, "length": 1, "url": "http://t.me/x"},
    ]
    text, entities = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]
    text, entities = parse_html("<blockquote expandable>q</blockquote> &lt;&amp;&#x41;")
    assert text == "q <&A" and entities[0]["type"] == "expandable_blockquote"
    assert parse_html("AT&T")[0] == "AT&T"  # Telegram keeps a bare '&' literally
    failures = {
        "<b>unclosed": 'Can\'t find end tag corresponding to start tag "b"',
        "<b><i>x</b></i>": 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"',
        "<br>": 'Unsupported start tag "br" at byte offset 0',
        "é <x>": 'Unsupported start tag "x" at byte offset 3',
        "a < b": 'Unsupported start tag "" at byte offset 2',
        "x</b>": "Unexpected end tag at byte offset 1",
        "<span>s</span>": 'Tag "span" must have class "tg-spoiler" at byte offset 0',
    }
    for markup, reason in failures.items():
        with pytest.raises(EntityParseError) as caught:
            parse_html(markup)
        assert str(caught.value) == f"can't parse entities: {reason}", markup
    with pytest.raises(EntityParseError, match="escape it as &amp;"):
        parse_html("AT&T", strict_ampersand=True)


def test_markdown_v2_and_text_pipeline() -> None:
    text, entities = parse_markdown_v2("*bold* _it_ __u__ ||s|| `c` [l](https://x.org) 1\\.5")
    assert text == "bold it u s c l 1.5"
    assert [e["type"] for e in entities] == ["bold", "italic", "underline", "spoiler", "code", "text_link"]
    with pytest.raises(EntityParseError, match=r"Character '\.' is reserved"):
        parse_markdown_v2("1.5")
    with pytest.raises(EntityParseError, match="Can't find end of Bold entity at byte offset 0"):
        parse_markdown_v2("*open")
    formatted = format_text("  <b> padded </b>  \n", "HTML")
    assert formatted.text == "padded" and formatted.entities == [{"type": "bold", "offset": 0, "length": 6}]
    with pytest.raises(EntityParseError, match="text must be non-empty"):
        format_text("<b> </b>", "HTML")

"""Neutralising text that came from an event before it is shown anywhere.

Summaries, reasons, actor names and the explanations that quote them are typed by
professionals (or by whoever holds an agency key): they may carry HTML, Markdown,
rich markup or terminal escape sequences. Every renderer and the CLI pass such
text through one of these functions, chosen for the output it lands in:

- ``plain``: C0/C1 control characters (ESC, CSI 0x9b, BEL, ...), DEL and the
  Unicode bidirectional overrides become U+FFFD, visibly; a lone escape sequence
  is thus left as harmless printable text (``�[31m``). Newlines and tabs are kept.
- ``html_text``: ``plain`` then HTML-escaped, quotes included (safe in attributes).
- ``md_text``: one line of Markdown that renders as the literal text: HTML-escaped
  (renderers pass raw HTML through), the punctuation that opens links, images,
  emphasis, code, headings and strikethrough backslashed, table pipes too, and
  line breaks folded: data never starts a line, so no block can be injected.
- ``json_text``: a serialised JSON document with the characters a terminal acts
  on written as ``\\uXXXX`` escapes: lossless for a JSON reader, inert on a tty.
- ``console_text``: ``plain`` then rich-markup-escaped, for ``Console.print``.
"""

import re
from html import escape

from rich.markup import escape as markup_escape

REPLACEMENT = "\ufffd"
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROLS = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
_JSON_RAW = re.compile(f"[\x7f-\x9f{_BIDI}\u2028\u2029]")
_MD_PUNCT = re.compile(r"([\\`*_\[\]#|~])")


def plain(value: object) -> str:
    """The text with every control character replaced by U+FFFD."""
    return _CONTROLS.sub(REPLACEMENT, str(value))


def html_text(value: object) -> str:
    return escape(plain(value), quote=True)


def md_text(value: object) -> str:
    """Literal text on one line of Markdown, table cells included."""
    one_line = " ".join(plain(value).split())
    return _MD_PUNCT.sub(r"\\\1", escape(one_line, quote=False))


def md_code(value: object) -> str:
    """Text for inside a Markdown code span in a table cell (no backticks, pipes escaped)."""
    one_line = " ".join(plain(value).split())
    return one_line.replace("`", "'").replace("|", "\\|")


def json_text(serialised: str) -> str:
    """JSON keeps control characters out of its structure and orjson already writes
    C0 as ``\\u00XX``; C1, DEL and bidi controls inside strings get the same."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", serialised)


def console_text(value: object) -> str:
    """For rich: ``[bold]`` in data prints as ``[bold]``, escapes as U+FFFD."""
    return markup_escape(plain(value))

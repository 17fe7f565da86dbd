"""Text that reads right: a response decoded by the WHATWG order, a cp1252 repair, and mojibake repair.

The order is the WHATWG encoding standard's, as Scrapy's TextResponse already reads it: a byte
order mark, then the HTTP ``charset``, then ``<meta charset>`` / ``http-equiv`` in the first bytes,
then sniffing. Every charset Python knows is honoured as declared (``windows-1251``,
``iso-8859-2``, ``shift_jis``, …): a page that names its charset is read in it.

The repair is for what Scrapy gets wrong on this site family: a page that says UTF-8, or says
nothing, and is not valid UTF-8. Scrapy obeys the header ("�uvre �cit�e�") or guesses (a Latin-1
French page came out as cp1257, "Été ą Montréal"). The bytes tell which of three it is:

- UTF-8 with a few stray bytes (a plugin's Latin-1 byte in a comment): at least STRAY_RATIO times as
  many valid multi-byte characters as invalid sequences. Read as UTF-8, each invalid sequence as the
  cp1252 characters of its bytes (``UTF8_CP1252``): one bad byte no longer turns the page's "’" and "é"
  into mojibake; counted ``encoding/utf8_with_stray_bytes``;
- a page in the charset its ``<meta>`` names, where the header said UTF-8 or the ``<meta>`` came after
  the first 4 KiB that Scrapy reads (browsers re-decode when they meet it): read in that charset,
  counted ``encoding/meta_charset``;
- else cp1252 (a superset of Latin-1 for printable text, what French sites send), counted
  ``encoding/fallback_cp1252``.

EncodingMiddleware does it in the download, so listings, articles and change sources all see the
same decoded response.
"""

from __future__ import annotations

import codecs
import re
from typing import TYPE_CHECKING, Literal, Self

from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

_MOJIBAKE = re.compile("Ã[\u0080-\u00bf]|â€[\u0080-\u00bf\u2018-\u203a]|Â[\u00a0-\u00bf]")


# How many valid multi-byte UTF-8 characters per invalid sequence make a page UTF-8 with stray bytes. A
# cp1252 page has almost none (two of its letters rarely form a UTF-8 sequence: "Ã©" is one), a UTF-8
# page with a stray byte has hundreds; a page between the two is read as cp1252 and its text repaired.
STRAY_RATIO = 4
# Where a <meta> charset is looked for once the bytes contradict UTF-8: the head, at most this much.
_META_SCAN = 65536
_META_CHARSET = re.compile(rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HIGH_BYTES = bytes(range(0x80, 0x100))
_REPLACEMENT = "\ufffd".encode()
# Latin charsets whose pages the cp1252 reading (or the stray-byte one) already reads right.
_LATIN = frozenset({"cp1252", "iso8859-1", "iso8859-15", "ascii"})  # codecs.lookup(...).name of each

Decoding = Literal["utf8_with_stray_bytes", "meta_charset", "fallback_cp1252"]


def decoding(response: TextResponse) -> tuple[str, Decoding] | None:
    """The encoding the response must be read in when Scrapy's is wrong, with the kind of repair;
    None when Scrapy reads it right."""
    declared = response._declared_encoding()  # BOM, header, then <meta>, as Scrapy and WHATWG read them
    if declared is not None and not is_utf8(declared):
        return None  # a declared charset is honoured, whatever it is
    body = response.body
    if body.isascii():
        return None  # ASCII reads the same in UTF-8 and cp1252
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return None  # valid UTF-8: Scrapy's sniffer tries UTF-8 first, and so reads it right
    if _mostly_utf8(body):
        return UTF8_CP1252, "utf8_with_stray_bytes"
    if (charset := meta_charset(body)) is not None:
        return charset, "meta_charset"
    return "cp1252", "fallback_cp1252"


def _mostly_utf8(body: bytes) -> bool:
    """At least STRAY_RATIO valid multi-byte UTF-8 characters per invalid sequence, counted in C:
    the "replace" decoding writes one U+FFFD per invalid sequence, and every other character outside
    ASCII is a valid one."""
    text = body.decode("utf-8", "replace")
    replaced = text.count("\ufffd")
    invalid = replaced - body.count(_REPLACEMENT)
    valid = len(text) - len(body.translate(None, _HIGH_BYTES)) - replaced
    return valid >= STRAY_RATIO * invalid


def meta_charset(body: bytes) -> str | None:
    """The charset the page's first ``<meta charset>`` (or ``http-equiv`` content) names, anywhere in
    its head, when Python knows it and it is neither UTF-8 nor one the cp1252 reading covers."""
    end = body.find(b"</head", 0, _META_SCAN)
    found = _META_CHARSET.search(body, 0, end if end > 0 else _META_SCAN)
    if found is None:
        return None
    try:
        name = codecs.lookup(found[1].decode("ascii")).name
    except LookupError:
        return None
    return None if name in _LATIN or name == "utf-8" else name


def repaired(response: TextResponse) -> tuple[TextResponse, Decoding | None]:
    """The response, re-decoded when its bytes are not the UTF-8 they claim or are guessed to be,
    with the kind of repair (None: left as it was)."""
    found = decoding(response)
    if found is None:
        return response, None
    encoding, kind = found
    return response.replace(encoding=encoding), kind


# -- the stray-byte reading: UTF-8, each invalid sequence as cp1252 -------------------------------------

UTF8_CP1252 = "utf-8-cp1252"
_ERRORS = "inquirer-cp1252-bytes"


def _cp1252_bytes(error: UnicodeError) -> tuple[str, int]:
    """The error handler: an invalid sequence's bytes as cp1252 (the five bytes cp1252 has no
    character for are left out)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("cp1252", "ignore"), error.end


def _decode_utf8_cp1252(data: ReadableBuffer, errors: str = "strict", /) -> tuple[str, int]:
    # ``errors`` is the caller's ("replace" from w3lib): this reading never fails, so it is not needed.
    return codecs.utf_8_decode(bytes(data), _ERRORS, True)


def _utf8_cp1252(name: str) -> codecs.CodecInfo | None:
    if name.replace("-", "_") != UTF8_CP1252.replace("-", "_"):
        return None
    return codecs.CodecInfo(name=UTF8_CP1252, encode=codecs.utf_8_encode, decode=_decode_utf8_cp1252)


codecs.register_error(_ERRORS, _cp1252_bytes)
codecs.register(_utf8_cp1252)


class EncodingMiddleware:
    """Downloader middleware: every text response leaves the download decoded by the rules above
    (after decompression: it sits below HttpCompressionMiddleware's 590)."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse):
            return response
        fixed, kind = repaired(response)
        if kind is not None and self.stats is not None:
            self.stats.inc_value(f"encoding/{kind}")
        return fixed


def is_utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def has_mojibake(text: str) -> bool:
    """The cheap detector: a UTF-8 sequence read as cp1252 ("Ã©", "â€™", "Â ")."""
    # Each branch of _MOJIBAKE starts with "Ã", "Â" or "â€": three substring searches in C tell that
    # most text has none (the regex alone tries its branches at every character: ~6 times slower).
    return ("Ã" in text or "Â" in text or "â€" in text) and _MOJIBAKE.search(text) is not None


def fix_mojibake(text: str) -> tuple[str, bool]:
    """'Ã©tÃ©' -> 'été' when the text is UTF-8 read as cp1252; unchanged when it is not.

    Behind the detector: the whole text's cp1252 round trip (fast, and exact when the whole text
    was read wrong), else ftfy's repair of the broken stretches (text mixing both, or characters
    cp1252 has no byte for)."""
    if not has_mojibake(text):
        return text, False
    try:
        fixed = text.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        import ftfy  # only for the rare page that needs it: the import costs ~50 ms

        fixed = ftfy.fix_encoding(text)
    return fixed, fixed != text

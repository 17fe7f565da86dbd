"""Text that reads right: a response decoded by the WHATWG order, a cp1252 repair, and mojibake repair.

The order is the WHATWG encoding standard's, as Scrapy's TextResponse already reads it: a byte
order mark, then the HTTP ``charset``, then ``<meta charset>`` / ``http-equiv`` in the first bytes,
then sniffing. Every charset Python knows is honoured as declared (``windows-1251``,
``iso-8859-2``, ``shift_jis``, …): a page that names its charset is read in it.

The one repair is for what Scrapy gets wrong on this site family: a page that says UTF-8, or says
nothing, and is not valid UTF-8. Scrapy obeys the header ("�uvre �cit�e�") or guesses (a Latin-1
French page came out as cp1257, "Été ą Montréal"); such a page is read as cp1252 (a superset of
Latin-1 for printable text, what French sites send), and counted ``encoding/fallback_cp1252``.

EncodingMiddleware does it in the download, so listings, articles and change sources all see the
same decoded response.
"""

from __future__ import annotations

import codecs
import re
from typing import Self

from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse

_MOJIBAKE = re.compile("Ã[\u0080-\u00bf]|â€[\u0080-\u00bf\u2018-\u203a]|Â[\u00a0-\u00bf]")


def decoding(response: TextResponse) -> str | None:
    """The encoding the response must be read in when Scrapy's is wrong (cp1252), else None."""
    declared = response._declared_encoding()  # BOM, header, then <meta>, as Scrapy and WHATWG read them
    if declared is not None and not is_utf8(declared):
        return None  # a declared charset is honoured, whatever it is
    body = response.body
    if body.isascii():
        return None  # ASCII reads the same in UTF-8 and cp1252
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return None  # valid UTF-8: Scrapy's sniffer tries UTF-8 first, and so reads it right


def repaired(response: TextResponse) -> tuple[TextResponse, bool]:
    """The response, re-decoded when its bytes are not the UTF-8 they claim or are guessed to be;
    True when that was the cp1252 repair."""
    encoding = decoding(response)
    if encoding is None:
        return response, False
    return response.replace(encoding=encoding), encoding == "cp1252"


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
        fixed, changed = repaired(response)
        if changed and self.stats is not None:
            self.stats.inc_value("encoding/fallback_cp1252")
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

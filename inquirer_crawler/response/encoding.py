"""Text that reads right: a charset fallback for French Latin-1/cp1252 pages, and mojibake repair.

Scrapy trusts the declared charset, and guesses when there is none: a Latin-1 page without a
charset came out as cp1257 ("Été ą Montréal"), a cp1252 page declared UTF-8 as "�uvre". Rule:
when the body is not valid UTF-8 and no explicit non-UTF-8 charset says otherwise, read it as
cp1252 (a superset of Latin-1 for printable text, and what French sites send).
"""

from __future__ import annotations

import codecs
import re

from scrapy.http import TextResponse

_SINGLE_BYTE = {"iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252", "iso-8859-15", "latin-9"}
_MOJIBAKE = re.compile("Ã[\u0080-\u00bf]|â€[\u0080-\u00bf\u2018-\u203a]|Â[\u00a0-\u00bf]")


def _declared(response: TextResponse) -> str | None:
    return response._declared_encoding()  # header, then <meta charset>, as Scrapy reads them


def repaired(response: TextResponse) -> tuple[TextResponse, bool]:
    """The response, re-decoded as cp1252 when its bytes are not the UTF-8 they claim or are guessed to be."""
    declared = (_declared(response) or "").lower()
    if declared in _SINGLE_BYTE:
        return response, False
    if is_utf8(response.encoding) and "\ufffd" not in response.text:
        return response, False  # read as UTF-8 without a replaced byte: valid (the text is needed anyway)
    try:
        response.body.decode("utf-8")
    except UnicodeDecodeError:
        return response.replace(encoding="cp1252"), True
    return response, False


def is_utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def fix_mojibake(text: str) -> tuple[str, bool]:
    """'Ã©tÃ©' -> 'été' when the text is UTF-8 read as cp1252; unchanged when the round trip fails."""
    if not _MOJIBAKE.search(text):
        return text, False
    try:
        fixed = text.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text, False
    return fixed, fixed != text

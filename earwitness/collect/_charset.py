"""Which character encoding a page is in, as the HTML standard says a browser decides.

WHATWG HTML §13.2.3.2 "Determining the character encoding": a byte order mark wins,
then the transport layer (the ``charset`` of ``Content-Type``), then the ``<meta>``
prescan of the first 1024 bytes (§13.2.3.2 "prescan a byte stream"); labels are mapped
to encodings by the WHATWG Encoding Standard §4.2, which treats ``iso-8859-1``,
``latin1`` and ``us-ascii`` as windows-1252 and ``shift_jis`` as the Windows variant
(Python's ``cp932``). Without any of these, a page that is valid UTF-8 is UTF-8 and any
other is windows-1252, the standard's default for English locales.
"""

from __future__ import annotations

import codecs
import re

__all__ = ["decode_html", "encoding_for_label", "sniff_encoding"]

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_BE, "utf-16-be"), (b"\xff\xfe", "utf-16-le"))

# WHATWG Encoding Standard §4.2, the labels a legacy forum sends, mapped to Python codecs.
_LABELS: dict[str, str] = {}
for _codec, _labels in {
    "utf-8": "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8",
    "cp1252": "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 "
    "iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252",
    "cp932": "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis",
    "euc_jp": "cseucpkdfmtjapanese euc-jp x-euc-jp",
    "iso2022_jp": "csiso2022jp iso-2022-jp",
    "gbk": "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk",
    "gb18030": "gb18030",
    "big5hkscs": "big5 big5-hkscs cn-big5 csbig5 x-x-big5",
    "cp949": "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 "
    "ksc5601 ksc_5601 windows-949",
    "koi8_r": "cskoi8r koi koi8 koi8-r koi8_r",
    "koi8_u": "koi8-ru koi8-u",
    "iso8859_2": "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 l2 latin2",
    "iso8859_15": "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9",
    "cp1250": "cp1250 windows-1250 x-cp1250",
    "cp1251": "cp1251 windows-1251 x-cp1251",
    "cp1253": "cp1253 windows-1253 x-cp1253",
    "cp1254": "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 l5 "
    "latin5 windows-1254 x-cp1254",
    "cp1257": "cp1257 windows-1257 x-cp1257",
    "utf-16-le": "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le",
    "utf-16-be": "unicodefffe utf-16be",
}.items():
    _LABELS.update(dict.fromkeys(_labels.split(), _codec))

_META = re.compile(rb"<meta(?=[\s/])([^>]*)>?", re.IGNORECASE)
_COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)
_ATTRIBUTE = re.compile(
    rb"""([^\s/>=]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*)))?""", re.IGNORECASE
)
_CHARSET_IN_CONTENT = re.compile(r"""charset\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s;"']+))""", re.I)


def encoding_for_label(label: str | None) -> str | None:
    """The Python codec for a WHATWG encoding label, or None for an unknown label."""
    if not label:
        return None
    return _LABELS.get(label.strip().strip("\"'").lower())


def _charset_from_content(content: str) -> str | None:
    """WHATWG "extracting a character encoding from a meta element"."""
    found = _CHARSET_IN_CONTENT.search(content)
    if not found:
        return None
    return next((g for g in found.groups() if g is not None), None)


def _prescan(head: bytes) -> str | None:
    """The encoding a ``<meta charset>`` or ``<meta http-equiv content>`` declares."""
    head = _COMMENT.sub(b"", head)
    for meta in _META.finditer(head):
        attributes: dict[str, str] = {}
        for name, *values in _ATTRIBUTE.findall(meta.group(1)):
            key = name.decode("ascii", "replace").lower()
            if key not in attributes:  # the first of repeated attributes counts
                value = next((v for v in values if v), b"")
                attributes[key] = value.decode("ascii", "replace")
        label: str | None = attributes.get("charset")
        if label is None and attributes.get("http-equiv", "").lower() == "content-type":
            label = _charset_from_content(attributes.get("content", ""))
        encoding = encoding_for_label(label)
        if encoding is not None:
            # a page cannot declare itself UTF-16 in its own (ASCII-compatible) bytes
            return "utf-8" if encoding.startswith("utf-16") else encoding
    return None


def sniff_encoding(body: bytes, content_type: str | None = None) -> str:
    """The encoding to decode ``body`` with: BOM, header charset, ``<meta>``, default."""
    for bom, bom_encoding in _BOMS:
        if body.startswith(bom):
            return bom_encoding
    found = encoding_for_label(_charset_from_content(content_type or ""))
    if found is None:
        found = _prescan(body[:1024])
    if found is not None:
        return found
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """A page's text, decoded as a browser would (malformed bytes become U+FFFD)."""
    encoding = sniff_encoding(body, content_type)
    for bom, bom_encoding in _BOMS:
        if encoding == bom_encoding and body.startswith(bom):
            body = body[len(bom) :]
            break
    return body.decode(encoding, errors="replace")

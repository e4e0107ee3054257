"""Bad DOCX files: zip bombs (declared, deflated, overlapping entries), ZIPs that are not Word documents,
broken or hostile XML (billion laughs, XXE); and the hand-written ZIP and DOCX builders they use."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from tests.badfiles.builder import MB, Builder, marker, sentence
from tests.badfiles.deflate import deflate_repeated
from tests.badfiles.reasons import R_DOCX, R_LIMIT, R_NO_TEXT, R_ZIP_BOMB

_CT_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/word/document.xml" ContentType="{_CT_MAIN}"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/></Relationships>'
)


def docx_xml(paragraphs: list[str], doctype: str = "") -> bytes:
    """word/document.xml with one w:p per paragraph (the text is inserted raw: callers escape)."""
    body = "".join(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" for text in paragraphs)
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}'
        f'<w:document xmlns:w="{_W_NS}"><w:body>{body}</w:body></w:document>'
    ).encode()


@dataclass(frozen=True)
class Repeated:
    """ZIP member content: `chunk` repeated `copies` times, deflated without compressing it all."""

    chunk: bytes
    copies: int


Member = tuple[str, "bytes | Repeated"]


def zip_bytes(members: list[Member]) -> bytes:
    """A ZIP written by hand with a fixed timestamp, so the same members always give the same bytes.

    Hand-written rather than zipfile: members can be huge repeated content deflated in O(1) work, and
    duplicate names are written as given (zipfile warns, and we want exactly what a hostile tool writes).
    """
    dos_time, dos_date = 0, (2020 - 1980) << 9 | 1 << 5 | 1
    out = bytearray()
    central = bytearray()
    for name, content in members:
        if isinstance(content, Repeated):
            raw, crc = deflate_repeated(content.chunk, content.copies)
            size = len(content.chunk) * content.copies
        else:
            compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
            raw, crc, size = compressor.compress(content) + compressor.flush(), zlib.crc32(content), len(content)
        encoded = name.encode()
        fields = struct.pack("<HHHHIII", 0, 8, dos_time, dos_date, crc, len(raw), size)
        central += b"PK\x01\x02" + struct.pack("<H", 20) + struct.pack("<H", 20) + fields
        central += struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, 0, len(out)) + encoded
        out += b"PK\x03\x04" + struct.pack("<H", 20) + fields + struct.pack("<HH", len(encoded), 0) + encoded + raw
    count = len(members)
    eocd = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, count, count, len(central), len(out), 0)
    return bytes(out + central + eocd)


def docx_document(paragraphs: list[str], extra: list[Member] | None = None) -> bytes:
    """A minimal DOCX that python-docx opens: content types, package rels and the document part."""
    members = [
        ("[Content_Types].xml", _CONTENT_TYPES.encode()),
        ("_rels/.rels", _RELS.encode()),
        ("word/document.xml", docx_xml(paragraphs)),
    ]
    return zip_bytes(members + (extra or []))


def _patch_central_sizes(data: bytes, member: str | None, size: int) -> bytes:
    """Overwrite the declared uncompressed size of central-directory entries (all, or one member)."""
    out = bytearray(data)
    entry = out.find(b"PK\x01\x02")
    while entry != -1:
        name_length = int.from_bytes(out[entry + 28 : entry + 30], "little")
        if member is None or out[entry + 46 : entry + 46 + name_length] == member.encode():
            out[entry + 24 : entry + 28] = size.to_bytes(4, "little")
        entry = out.find(b"PK\x01\x02", entry + 4)
    return bytes(out)


def _overlapping_zip(base: bytes, member: str, copies: int) -> bytes:
    """Fifield-style overlap: `copies` more central-directory entries point at ONE local file."""
    central_start = base.index(b"PK\x01\x02")
    end = base.index(b"PK\x05\x06")
    central = base[central_start:end]
    # Walk the entries to find the member's.
    position = 0
    entry = b""
    while position < len(central):
        name_length, extra_length, comment_length = struct.unpack("<HHH", central[position + 28 : position + 34])
        size = 46 + name_length + extra_length + comment_length
        if central[position + 46 : position + 46 + name_length] == member.encode():
            entry = central[position : position + size]
        position += size
    name_length = struct.unpack("<H", entry[28:30])[0]
    clones = bytearray()
    for i in range(copies):
        name = f"word/copy{i:05d}.xml".encode()
        clone = bytearray(entry[:46]) + name + entry[46 + name_length :]
        clone[28:30] = struct.pack("<H", len(name))
        clones += clone
    count = struct.unpack("<H", base[end + 10 : end + 12])[0] + copies
    new_central = central + bytes(clones)
    eocd = bytearray(base[end:])
    eocd[8:16] = struct.pack("<HHI", count, count, len(new_central))
    eocd[16:20] = struct.pack("<I", central_start)
    return base[:central_start] + new_central + bytes(eocd)


def add_docx(b: Builder) -> None:
    rng = b.rng
    good = docx_document([sentence(rng) for _ in range(5)])
    # Declared-size bombs: small files whose directory claims gigabytes.
    for i, size in enumerate([0xFFFFFFF0, 0x80000000, 0x40000000, 300 * MB]):
        target = ["word/document.xml", None][i % 2]
        b.add("docx_bomb", ".docx", _patch_central_sizes(good, target, size), reason=R_ZIP_BOMB)
    # Real deflate bombs: tens of MB of zeros in ~30 KB (over the 200:1 ratio) and many parts adding up.
    b.add(
        "docx_bomb",
        ".docx",
        docx_document(["x"], [("word/media/zeros.bin", Repeated(bytes(MB), 40))]),
        reason=R_ZIP_BOMB,
    )
    b.add(
        "docx_bomb",
        ".docx",
        zip_bytes([("[Content_Types].xml", _CONTENT_TYPES.encode()), ("word/document.xml", Repeated(bytes(MB), 20))]),
        reason=R_ZIP_BOMB,
    )
    many: list[Member] = [(f"word/part{i:03d}.xml", Repeated(bytes(MB), 1)) for i in range(210)]
    b.add("docx_bomb", ".docx", docx_document(["x"], many), reason=R_ZIP_BOMB, notes="210 x 1 MB parts")
    # A docx nested in a docx, itself a bomb: refused for the outer declared sizes only if big; here the
    # inner archive is opaque bytes to python-docx, so the outer document is read normally.
    inner = docx_document(["inner"], [("word/media/zeros.bin", Repeated(bytes(MB), 30))])
    token = marker(rng, "NESTED")
    b.add(
        "docx_nested",
        ".docx",
        docx_document([f"Outer {token} text about hiring a CMIO."], [("word/embeddings/inner.docx", inner)]),
        accept=True,
        visible=(token,),
        hidden=("inner",),
        notes="nested docx",
    )
    for copies in (10, 1000, 5000):  # small shared part: harmless, python-docx reads document.xml only
        token = marker(rng, "OVERLAP")
        base = docx_document([f"Overlapping {token} entries about the CTO role."])
        data = _overlapping_zip(base, "word/document.xml", copies)
        b.add("docx_overlap", ".docx", data, accept=True, visible=(token,), notes=f"{copies} entries, one local file")
    # The real overlap bomb: 3,000 entries share one part of 1 MB: 3 GB declared from a 30 KB file.
    base = docx_document(["x"], [("word/media/big.bin", Repeated(bytes(MB), 1))])
    data = _overlapping_zip(base, "word/media/big.bin", 3000)
    b.add("docx_overlap", ".docx", data, reason=R_ZIP_BOMB, notes="overlap bomb")
    # Two entries named word/document.xml: zipfile reads the last one.
    first, second = marker(rng, "DUPFIRST"), marker(rng, "DUPLAST")
    dup = zip_bytes(
        [
            ("[Content_Types].xml", _CONTENT_TYPES.encode()),
            ("_rels/.rels", _RELS.encode()),
            ("word/document.xml", docx_xml([f"First {first} copy."])),
            ("word/document.xml", docx_xml([f"Last {second} copy about the CMIO."])),
        ]
    )
    b.add("docx_overlap", ".docx", dup, accept=True, visible=(second,), hidden=(first,), notes="duplicate names")

    # ZIPs that are not Word documents.
    not_word = [
        [("[Content_Types].xml", _CONTENT_TYPES.encode())],
        [("[Content_Types].xml", _CONTENT_TYPES.encode()), ("_rels/.rels", _RELS.encode())],
        [("[Content_Types].xml", b"<Types/>"), ("_rels/.rels", _RELS.encode()), ("word/document.xml", b"<x/>")],
        [("[Content_Types].xml", _CONTENT_TYPES.encode()), ("_rels/.rels", b"not xml"),
         ("word/document.xml", docx_xml(["x"]))],
        [("notes.txt", b"hello")],
        [("[Content_Types].xml", _CONTENT_TYPES.encode()), ("_rels/.rels", _RELS.encode()),
         ("word/document.xml", b"")],
    ]  # fmt: skip
    for members in not_word:
        b.add("docx_nodoc", ".docx", zip_bytes(members), reason=f"({R_DOCX})|({R_NO_TEXT})")

    _docx_bad_xml(b)

    b.add("docx_notzip", ".docx", rng.randbytes(5000), reason=R_DOCX)
    b.add("docx_notzip", ".docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + rng.randbytes(3000), reason=R_DOCX)
    b.add("docx_notzip", ".docx", b"PK\x03\x04" + rng.randbytes(3000), reason=R_DOCX)
    for offset in sorted(rng.sample(range(1, len(good) - 1), 10)):
        b.add("docx_notzip", ".docx", good[:offset], reason=R_DOCX, notes=f"cut at {offset}")


def _docx_bad_xml(b: Builder) -> None:
    rng = b.rng

    def with_document(xml: bytes) -> bytes:
        return zip_bytes(
            [
                ("[Content_Types].xml", _CONTENT_TYPES.encode()),
                ("_rels/.rels", _RELS.encode()),
                ("word/document.xml", xml),
            ]
        )

    good_xml = docx_xml([sentence(rng) for _ in range(4)])
    refused = [
        good_xml[: len(good_xml) // 2],
        b"\xff\xfe garbage",
        good_xml.replace(b"<w:body>", b"<w:body><w:p>", 1),  # unbalanced
        good_xml.replace(b"UTF-8", b"UTF-16", 1),  # declares an encoding it does not use
        good_xml.replace(b"</w:t>", b"\xc3\x28</w:t>", 1),  # invalid UTF-8 in the XML
        good_xml.replace(b"</w:t>", b"\x00</w:t>", 1),  # NUL: not allowed in XML
        b"<w:document xmlns:w='" + _W_NS.encode() + b"'>" + b"<w:x>" * 300_000,  # deep, unclosed
    ]
    for xml in refused:  # (the deep one compresses over 200:1: refused as a zip bomb before parsing)
        b.add("docx_badxml", ".docx", with_document(xml), reason=f"({R_DOCX})|({R_LIMIT})|({R_ZIP_BOMB})")
    # Entity expansion ("billion laughs"): libxml2 stops it ("maximum entity amplification").
    laughs = '<!DOCTYPE w:document [<!ENTITY a "lol">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    b.add(
        "docx_badxml",
        ".docx",
        with_document(docx_xml(["Laughs &j; end of the CTO text."], doctype=laughs + "]>")),
        reason=R_DOCX,
        hidden=("lollollol",),
        notes="billion laughs",
    )
    # XXE: an external entity naming a local file must never be read.
    for i, target in enumerate(["file:///etc/passwd", "file:///etc/hostname", "http://127.0.0.1:9/x"]):
        doctype = f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "{target}">]>'
        token = marker(rng, "XXE")
        b.add(
            "docx_badxml",
            ".docx",
            with_document(docx_xml([f"Entity {token} &xxe; about the CMIO role {i}."], doctype=doctype)),
            accept=True,
            visible=(token,),
            hidden=("root:x:0:0",),
            notes="XXE",
        )

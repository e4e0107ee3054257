"""Bad PDFs: truncated, random, broken cross-references, huge or bomb streams, encrypted, and other
malformed structure; and `pdf_document`, a small valid PDF written by hand."""

from __future__ import annotations

import io
import random
import re
import secrets
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from tests.badfiles.builder import MB, Builder, marker, paragraphs
from tests.badfiles.deflate import zlib_repeated
from tests.badfiles.reasons import R_ENCRYPTED, R_LIMIT, R_NO_HEADER, R_NO_TEXT, R_PDF, R_PDF_OR_EMPTY


def _pdf_escape(text: str) -> bytes:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1")


def pdf_document(
    pages: list[str],
    *,
    info: dict[str, bytes] | None = None,
    compress: bool = False,
    extra_objects: list[bytes] | None = None,
    pad: int = 0,
) -> bytes:
    """A small valid PDF written by hand (exact xref offsets), one text line per input line.

    info values are raw PDF string tokens, e.g. b"(Title)" or b"<FEFF...>". ``pad`` appends that many
    spaces to the first page's content stream, Flate-compressed: a few KB on disk that a reader must expand.
    """
    objects: list[bytes] = [b"", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for number, text in enumerate(pages):
        ops = [b"BT /F1 12 Tf 72 720 Td 14 TL"]
        ops += [b"(" + _pdf_escape(line) + b") Tj T*" for line in text.split("\n")]
        ops.append(b"ET")
        stream = b"\n".join(ops)
        if compress or (pad and number == 0):
            stream = zlib.compress(stream + (b" " * pad if number == 0 else b""), 9)
            header = b"<< /Length %d /Filter /FlateDecode >>" % len(stream)
        else:
            header = b"<< /Length %d >>" % len(stream)
        objects.append(header + b"\nstream\n" + stream + b"\nendstream")
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % len(objects)
        )
        kids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    objects += extra_objects or []
    info_ref = b""
    if info:
        objects.append(b"<< " + b" ".join(b"/" + key.encode() + b" " + value for key, value in info.items()) + b" >>")
        info_ref = b" /Info %d 0 R" % len(objects)
    return _pdf_file(objects, b"<< /Size %d /Root 1 0 R" % (len(objects) + 1) + info_ref + b" >>")


def _pdf_file(objects: list[bytes], trailer: bytes) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n" + trailer + b"\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


@contextmanager
def _seeded_secrets(rng: random.Random) -> Iterator[None]:
    """pypdf draws IDs, salts and IVs from `secrets`; seed them so encrypted files are reproducible."""
    with mock.patch.object(secrets, "token_bytes", lambda n=32: rng.randbytes(n)):
        yield


def _encrypted_pdf(rng: random.Random, text: str, user_password: str, algorithm: str) -> bytes:
    import pypdf  # only the generator needs it

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf_document([text]))))
    with _seeded_secrets(rng):
        writer.encrypt(user_password=user_password, owner_password="owner-" + user_password, algorithm=algorithm)
        buffer = io.BytesIO()
        writer.write(buffer)
    return buffer.getvalue()


def add_pdfs(b: Builder) -> None:
    rng = b.rng
    source = pdf_document(
        [paragraphs(rng, 2).replace(". ", ".\n") for _ in range(3)],
        info={"Title": b"(Truncated source)", "Author": b"(A. Author)"},
    )
    eof = source.rindex(b"%%EOF")
    # Cut anywhere before the end-of-file marker: pypdf must refuse every one of them.
    for offset in sorted(rng.sample(range(1, eof), 50)):
        b.add(
            "pdf_truncated", ".pdf", source[:offset], reason=R_PDF_OR_EMPTY, notes=f"cut at {offset} of {len(source)}"
        )

    for i in range(25):
        size = rng.choice([0, 1, 10, 100, 1000, 10_000, 65_536])
        body = rng.randbytes(size)
        if i % 3 == 1:
            body += b"\n%%EOF\n"
        if i % 3 == 2:
            body = b" 1 0 obj << /Type /Catalog >> endobj ".join(rng.randbytes(200) for _ in range(5)) + b"\n%%EOF"
        b.add("pdf_random", ".pdf", b"%PDF-1." + str(i % 8).encode() + b"\n" + body, reason=R_PDF_OR_EMPTY)

    _broken_xref(b)
    _huge_streams(b)

    for i, (password, algorithm) in enumerate(
        [(p, a) for p in ("secret", "pässwörd", "x" * 32) for a in ("RC4-40", "RC4-128", "AES-128", "AES-256")]
    ):
        text = f"Locked CTO hiring notes number {i}."
        b.add("pdf_encrypted", ".pdf", _encrypted_pdf(rng, text, password, algorithm), reason=R_ENCRYPTED)
    for algorithm in ("RC4-128", "AES-256"):
        token = marker(rng, "OWNERONLY")
        data = _encrypted_pdf(rng, f"Printable {token} text about the CMIO role.", "", algorithm)
        b.add("pdf_encrypted", ".pdf", data, accept=True, visible=(token,), notes="owner password only")

    _pdf_misc(b)


def _broken_xref(b: Builder) -> None:
    """Damaged cross-reference tables; pypdf rebuilds them from the objects, as viewers do."""
    rng = b.rng
    for i in range(10):
        token = marker(rng, "XREF")
        data = bytearray(pdf_document([f"Recovered {token} text about the CTO role."], compress=i % 2 == 1))
        start = data.rindex(b"\nxref\n") + 1
        variant = i % 5
        if variant == 0:  # every offset wrong
            body = data[start:]
            body = re.sub(rb"\d{10} 00000 n", lambda _: b"%010d 00000 n" % rng.randrange(10**9), bytes(body))
            data[start:] = body
        elif variant == 1:  # startxref past the end of the file
            data = bytearray(re.sub(rb"startxref\n\d+", b"startxref\n99999999", bytes(data)))
        elif variant == 2:  # no xref table at all
            end = data.index(b"trailer")
            del data[start:end]
        elif variant == 3:  # the xref keyword mangled, offsets shifted by junk before the first object
            data[start : start + 4] = b"xrfe"
            first = data.index(b"1 0 obj")
            data[first:first] = b"%" + rng.randbytes(40).replace(b"\n", b" ").replace(b"\r", b" ") + b"\n"
        else:  # negative startxref
            data = bytearray(re.sub(rb"startxref\n\d+", b"startxref\n-42", bytes(data)))
        b.add("pdf_broken_xref", ".pdf", bytes(data), accept=True, visible=(token,), notes=f"variant {variant}")


def _huge_streams(b: Builder) -> None:
    """Streams that declare (or expand to) far more than they hold."""
    rng = b.rng
    for i in range(8):
        length = [10**12, 2**63 - 1, 10**9, -5][i % 4]
        data = pdf_document([f"Declared length {i}"]).replace(b"<< /Length ", b"<< /Length %d /X " % length, 1)
        # pypdf gives up on a stream longer than the file ("Cannot find Root object"), and reads a
        # negative length as "search for endstream".
        if length < 0:
            b.add("pdf_huge_stream", ".pdf", data, accept=True, visible=(f"Declared length {i}",), notes="/Length -5")
        else:
            b.add("pdf_huge_stream", ".pdf", data, reason=R_PDF, notes=f"/Length {length}")
    for i in range(4):
        # An object stream that claims a billion objects starting at a huge offset.
        objstm = b"<< /Type /ObjStm /N %d /First %d /Length 10 >>\nstream\n1 0 2 0 3 \nendstream" % (
            10**9 + i,
            2**40,
        )
        data = pdf_document([f"Object stream {i}"], extra_objects=[objstm])
        b.add("pdf_huge_stream", ".pdf", data, accept=True, visible=(f"Object stream {i}",), notes="huge /N")
    # 60 MB of spaces keeps pypdf's content parser busy far past any timeout; 300 MB trips pypdf's
    # own decompression limit.
    for size in (60, 300):
        bomb = zlib_repeated(b" " * MB, size, prefix=b"BT /F1 12 Tf 72 720 Td (Bomb) Tj ET")
        objects = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(bomb) + bomb + b"\nendstream",
        ]
        reason = R_LIMIT if size < 75 else R_PDF
        b.add(
            "pdf_huge_stream",
            ".pdf",
            _pdf_file(objects, b"<< /Size 6 /Root 1 0 R >>"),
            reason=reason,
            notes=f"{size} MB",
        )
    del rng


def _pdf_misc(b: Builder) -> None:
    misc: list[tuple[bytes, str]] = [
        (b"%PDF-1.7", R_PDF_OR_EMPTY),
        (b"%PDF-1.7\n%%EOF\n", R_PDF_OR_EMPTY),
        (b"%PDF-", R_PDF_OR_EMPTY),
        (_pdf_file([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"],
                   b"<< /Size 3 /Root 1 0 R >>"), R_NO_TEXT),
        # Pages tree that contains itself.
        (_pdf_file([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"],
                   b"<< /Size 3 /Root 1 0 R >>"), R_PDF_OR_EMPTY),
        # 100,000 nested arrays in the catalog.
        (_pdf_file([b"<< /Type /Catalog /Pages 2 0 R /X " + b"[" * 100_000 + b"]" * 100_000 + b" >>",
                    b"<< /Type /Pages /Kids [] /Count 0 >>"], b"<< /Size 3 /Root 1 0 R >>"), R_PDF_OR_EMPTY),
        # Root is not a dictionary; trailer without Root.
        (_pdf_file([b"42"], b"<< /Size 2 /Root 1 0 R >>"), R_PDF_OR_EMPTY),
        (_pdf_file([b"<< /Type /Catalog >>"], b"<< /Size 2 >>"), R_PDF_OR_EMPTY),
        # A PDF header after 2 KB of junk (the spec allows it in the first 1 KB only).
        (b"x" * 2048 + pdf_document(["Late header"]), R_NO_HEADER),
        (b"<html><body>Not a PDF</body></html>", R_NO_HEADER),
    ]  # fmt: skip
    for data, reason in misc:
        b.add("pdf_misc", ".pdf", data, reason=reason)

"""The reasons the loaders give for refusing a file, as anchored regexes: what a refused bad file's
one-line reason must match."""

from __future__ import annotations

R_PDF = r"^not a readable PDF: .+$"
R_PDF_OR_EMPTY = r"^(not a readable PDF: .+|no text could be extracted)$"
R_ENCRYPTED = r"^PDF is encrypted( \(.+\))?$"
R_LIMIT = r"^(PDF|DOCX|HTML) parsing (took longer than [\d.]+ s|exceeded the \d+ MB memory limit)$"
R_UTF8 = r"^not valid UTF-8 text \((byte 0x[0-9a-f]{2}|end of file) at offset \d+\); save the file as UTF-8$"
R_NULS = r"^not valid UTF-8 text \(many NUL bytes: UTF-16 without a byte-order mark\?\); save the file as UTF-8$"
R_UTF8_OR_NULS = f"({R_UTF8})|({R_NULS})"
R_EMPTY = r"^file is empty$"
R_NO_TEXT = r"^no text could be extracted$"
R_TOO_LONG = r"^text is ([\d,]+ characters, )?over the [\d,]+ character limit$"
R_YAML = (
    r"^front matter (is not valid YAML: .+|has no closing '---' line|is too large or too deeply nested"
    r"|is nested too deeply \(over \d+ levels\)"
    r"|is .+, over the .+ limit|'roles' .+)$"
)
R_ZIP_BOMB = (
    r"^DOCX (declares .+ uncompressed \(zip bomb\?\), over the .+ limit|part '.+' expands .+ \(zip bomb\?\), .+)$"
)
R_DOCX = r"^not a readable DOCX: .+$"
R_NO_HEADER = r"^not a readable PDF: the file does not start with a PDF header$"

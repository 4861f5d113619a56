"""The province as four CSV files, in a zip or a folder: one row per office, service,
counter and user, each file headed by its column names.

UTF-8 with a byte-order mark, as the statistics exports, so spreadsheet programs show
the Persian. A counter's services are written ``code:tier`` and a user's offices as codes,
each list separated by spaces (commas are read too).
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import zipfile
import zlib
from datetime import time
from pathlib import Path
from typing import Any

from server.engine.errors import N_
from server.province.fields import COLUMNS, FIELDS, Cell, Row
from server.province.problems import Problems, Where
from server.province.records import Province

#: Each kind's file, in the order read and written.
FILES = {kind: f"{kind}.csv" for kind in ("offices", "services", "counters", "users")}
#: At most this much unpacked from a zip (a 200-office province is well under 1 MB).
MAX_UNPACKED = 32 * 1024 * 1024
_SEPARATORS = re.compile(r"[\s,]+")
_AROUND_COLON = re.compile(r"\s*:\s*")
# A fixed time and mode for every member: the same province makes the same zip.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_UNREADABLE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    RuntimeError,
    ValueError,
    NotImplementedError,
)


def read(kind: str, name: str, text: str, problems: Problems) -> list[Row]:
    """The rows of one kind's CSV file; what cannot be read goes to ``problems``."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [column.strip() for column in next(reader)]
    except StopIteration:
        problems.add(Where(name, 1), N_("the file is empty; it needs at least its header"))
        return []
    except csv.Error as error:
        problems.add(Where(name, 1), N_("not valid CSV: %(problem)s"), problem=str(error))
        return []
    if not _header_ok(kind, name, header, problems):
        return []
    rows: list[Row] = []
    line = reader.line_num + 1
    try:
        for cells in reader:
            where = Where(name, line)
            line = reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue  # spreadsheets leave empty rows
            rows.append(_row(kind, where, header, cells, problems))
    except csv.Error as error:
        problems.add(Where(name, line), N_("not valid CSV: %(problem)s"), problem=str(error))
    return rows


def _header_ok(kind: str, name: str, header: list[str], problems: Problems) -> bool:
    where = Where(name, 1)
    named = [column for column in header if column]
    if len(named) == 1 and re.search(r"[;\t؛]", named[0]):
        problems.add(where, N_("columns must be separated by commas"))
        return False
    ok = True
    for position, column in enumerate(header):
        if column and column not in COLUMNS[kind]:
            problems.add(where, N_('unknown column "%(column)s"'), column=column)
            ok = False
        elif column and column in header[:position]:
            problems.add(where, N_('column "%(column)s" appears twice'), column=column)
            ok = False
    for field in FIELDS[kind]:
        if field.required and field.name not in header:
            problems.add(where, N_('missing column "%(column)s"'), column=field.name)
            ok = False
    return ok


def _row(kind: str, where: Where, header: list[str], cells: list[str], problems: Problems) -> Row:
    row = Row(kind, where, {})
    for position, text in enumerate(cells):
        column = header[position] if position < len(header) else ""
        if not column:
            if text.strip():
                problems.add(where, N_("a cell lies outside the named columns"))
            continue
        row.cells[column] = _cell(kind, column, text, where.line)
    return row


def _cell(kind: str, column: str, text: str, line: int) -> Cell:
    if not text.strip():
        return Cell(None, line)
    if kind == "counters" and column == "services":
        items = _SEPARATORS.split(_AROUND_COLON.sub(":", text.strip()))
        pairs = []
        for item in items:
            code, _, tier = item.partition(":")
            pairs.append((Cell(code, line), Cell(tier or None, line)))
        return Cell(tuple(pairs), line)
    if kind == "users" and column == "offices":
        return Cell(tuple(Cell(code, line) for code in _SEPARATORS.split(text.strip())), line)
    return Cell(text, line)


def write(province: Province) -> dict[str, bytes]:
    """The four files' bytes, by file name."""
    records = {
        "offices": province.offices,
        "services": province.services,
        "counters": province.counters,
        "users": province.users,
    }
    files = {}
    for kind, name in FILES.items():
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(COLUMNS[kind])
        for record in records[kind]:
            writer.writerow([_text(kind, c, getattr(record, c)) for c in COLUMNS[kind]])
        files[name] = out.getvalue().encode("utf-8-sig")
    return files


def _text(kind: str, column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if kind == "counters" and column == "services":
        return " ".join(f"{code}:{tier}" for code, tier in value)
    if isinstance(value, tuple):
        return " ".join(value)
    return str(value)


def pack(files: dict[str, bytes]) -> bytes:
    """The files as a zip, byte for byte the same for the same files."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in FILES.values():
            member = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            archive.writestr(member, files[name])
    return out.getvalue()


def unpack(data: bytes, name: str, problems: Problems) -> dict[str, bytes]:
    """The province's CSV files in a zip, by file name (in a folder of it, or at its top)."""
    found: dict[str, bytes] = {}
    wanted = set(FILES.values())
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.infolist():
                base = posixpath.basename(member.filename).lower()
                if member.is_dir() or base.startswith(".") or "__MACOSX/" in member.filename:
                    continue
                if base not in wanted:
                    if base.endswith(".csv"):
                        problems.add(
                            Where(name, 1),
                            N_('unexpected file "%(file)s" (the files are %(expected)s)'),
                            file=member.filename,
                            expected=", ".join(FILES.values()),
                        )
                    continue
                if base in found:
                    problems.add(Where(name, 1), N_('"%(file)s" is in the zip twice'), file=base)
                    continue
                with archive.open(member) as opened:
                    found[base] = opened.read(MAX_UNPACKED - total + 1)
                total += len(found[base])
                if total > MAX_UNPACKED:
                    problems.add(
                        Where(name, 1),
                        N_("the files in the zip are larger than %(megabytes)s MB"),
                        megabytes=MAX_UNPACKED // 2**20,
                    )
                    return {}
    except _UNREADABLE as error:  # not a zip, damaged, encrypted, or an unknown compression
        problems.add(
            Where(name, 1), N_("the zip file cannot be read: %(problem)s"), problem=str(error)
        )
        return {}
    if not found and not problems:
        problems.add(Where(name, 1), N_("none of %(expected)s is in it"), expected=_listed())
    return found


def read_folder(folder: Path, problems: Problems) -> dict[str, bytes]:
    """The province's CSV files in a folder, by file name."""
    paths = (folder / name for name in FILES.values())
    found = {path.name: path.read_bytes() for path in paths if path.is_file()}
    if not found:
        problems.add(Where(str(folder), 1), N_("none of %(expected)s is in it"), expected=_listed())
    return found


def write_folder(folder: Path, files: dict[str, bytes]) -> list[Path]:
    """Write the files into ``folder`` (made if missing); other files there are left alone."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in FILES.values():
        (folder / name).write_bytes(files[name])
        written.append(folder / name)
    return written


def _listed() -> str:
    return ", ".join(FILES.values())

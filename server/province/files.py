"""Which format a province file is in, and reading or writing one whole.

YAML is one document (``.yaml``, ``.yml``); CSV is four files, in a ``.zip`` or a folder.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from server.engine.errors import N_
from server.province import csv_files, yaml_file
from server.province.checks import Parsed, check
from server.province.fields import Row
from server.province.problems import Problems, Where
from server.province.records import Province

FORMATS = ("yaml", "zip", "folder")
_SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".zip": "zip"}
_ZIP_MAGIC = b"PK\x03\x04"


def format_of(name: str, *, writing: bool = False) -> str | None:
    """``yaml``, ``zip`` or ``folder`` by a path as typed (a folder exists, or ends in /)."""
    if Path(name).is_dir() or (writing and name.endswith(("/", os.sep))):
        return "folder"
    return _SUFFIXES.get(Path(name).suffix.lower())


def read_path(name: str) -> Parsed:
    """A province file, zip or folder as its records and every problem the file alone has.

    Problems name a YAML file by ``path`` as given, CSV files by their own names.
    """
    problems = Problems()
    kind, path = format_of(name), Path(name)
    rows: list[Row] = []
    if kind == "folder":
        rows = _csv_rows(csv_files.read_folder(path, problems), problems)
    elif kind == "zip":
        rows = _csv_rows(csv_files.unpack(path.read_bytes(), path.name, problems), problems)
    elif kind == "yaml":
        rows = _yaml_rows(path.read_bytes(), name, problems)
    else:
        raise ValueError(f"{name}: a province file ends in .yaml, .yml or .zip, or is a folder")
    return check(rows, problems)


def read_upload(name: str | None, data: bytes) -> Parsed:
    """An uploaded file: a zip of CSV files when it is a zip, otherwise YAML."""
    problems = Problems()
    shown = posixpath.basename((name or "").replace("\\", "/")).strip()
    if data.startswith(_ZIP_MAGIC):
        rows = _csv_rows(csv_files.unpack(data, shown or "province.zip", problems), problems)
    else:
        rows = _yaml_rows(data, shown or "province.yaml", problems)
    return check(rows, problems)


def _csv_rows(files: dict[str, bytes], problems: Problems) -> list[Row]:
    """The rows of each file there is, offices first: problems come in the files' order."""
    rows: list[Row] = []
    for kind, name in csv_files.FILES.items():
        if name in files and (text := _decode(files[name], name, problems)) is not None:
            rows.extend(csv_files.read(kind, name, text, problems))
    return rows


def _yaml_rows(data: bytes, name: str, problems: Problems) -> list[Row]:
    text = _decode(data, name, problems)
    return [] if text is None else yaml_file.read(text, name, problems)


def _decode(data: bytes, name: str, problems: Problems) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        problems.add(Where(name, line), N_("not UTF-8 text; save the file as UTF-8"))
        return None


def export(province: Province, kind: str) -> bytes:
    """The province as a YAML file's or a zip's bytes."""
    if kind == "yaml":
        return yaml_file.write(province).encode()
    return csv_files.pack(csv_files.write(province))


def write_path(name: str, province: Province) -> list[Path]:
    """Write the province where ``name`` says, in the format it says; the files written."""
    kind, path = format_of(name, writing=True), Path(name)
    if kind == "folder":
        return csv_files.write_folder(path, csv_files.write(province))
    if kind is None:
        raise ValueError(f"{name}: end the name in .yaml or .zip, or in / for a folder of CSV")
    path.write_bytes(export(province, kind))
    return [path]

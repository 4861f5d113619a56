"""The package stands alone: no server or Flask imports, and a stable public API."""

from __future__ import annotations

import ast
from pathlib import Path

import printer_drivers

PACKAGE = Path(printer_drivers.__file__).parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_printer_drivers_imports_nothing_from_the_server_or_flask():
    for source in PACKAGE.rglob("*.py"):
        roots = {name.split(".")[0] for name in imported_modules(source)}
        assert not roots & {"server", "flask", "kiosk", "counter", "display"}, source


def test_hardware_libraries_are_never_imported_at_module_level():
    for source in PACKAGE.rglob("*.py"):
        top_level = ast.parse(source.read_text(encoding="utf-8")).body
        for node in top_level:
            if isinstance(node, ast.Import | ast.ImportFrom) and not getattr(node, "level", 0):
                modules = (
                    [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
                )
                assert not {m.split(".")[0] for m in modules} & {"usb", "serial", "cups"}, source


def test_modules_stay_small():
    for source in PACKAGE.rglob("*.py"):
        assert len(source.read_text(encoding="utf-8").splitlines()) < 250, source


def test_public_api_is_exported():
    for name in ("TicketPrint", "Paper", "render_ticket", "TicketRenderer", "encode_ticket",
                 "open_printer", "PrinterStatus", "PrinterError", "PaperOut", "PrinterOffline",
                 "PrinterTimeout", "PrinterNotFound", "PrinterConfigError",
                 "PrinterDependencyMissing", "FontNotFoundError"):  # fmt: skip
        assert hasattr(printer_drivers, name), name

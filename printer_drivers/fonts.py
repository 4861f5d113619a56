"""Finding the Vazirmatn font (installed from npm, never a CDN) and caching loaded sizes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from .errors import FontNotFoundError

FONT_DIR_ENV = "NOBAT_FONT_DIR"
_REPO_ROOT = Path(__file__).resolve().parent.parent
_NPM_TTF = Path("node_modules", "vazirmatn", "fonts", "ttf")
WEIGHTS = ("Regular", "Bold", "Black")


@dataclass(frozen=True, slots=True)
class FontFiles:
    """The three Vazirmatn weights a ticket uses."""

    regular: Path
    bold: Path
    black: Path


def candidate_dirs(font_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Directories searched, in order: argument, NOBAT_FONT_DIR, repository, working dir."""
    if font_dir is not None:
        return [Path(font_dir)]
    dirs = []
    if os.environ.get(FONT_DIR_ENV):
        dirs.append(Path(os.environ[FONT_DIR_ENV]))
    dirs += [_REPO_ROOT / _NPM_TTF, Path.cwd() / _NPM_TTF]
    return list(dict.fromkeys(dirs))


def find_fonts(font_dir: str | os.PathLike[str] | None = None) -> FontFiles:
    """The first directory holding every weight as a loadable font, or a clear error."""
    tried = []
    for directory in candidate_dirs(font_dir):
        paths = [directory / f"Vazirmatn-{weight}.ttf" for weight in WEIGHTS]
        tried.append(str(directory))
        if all(_loadable(path) for path in paths):
            return FontFiles(*paths)
    raise FontNotFoundError(
        "Vazirmatn fonts (Vazirmatn-Regular/Bold/Black.ttf) not found or unreadable in: "
        + ", ".join(tried)
        + f". Run `npm install` in the repository or set {FONT_DIR_ENV}."
    )


def _loadable(path: Path) -> bool:
    """A font file that exists and FreeType accepts (an LFS pointer would not)."""
    try:
        load_font(path, 12, ImageFont.Layout.BASIC)
    except OSError:
        return False
    return True


@lru_cache(maxsize=128)
def load_font(path: Path, size: int, engine: ImageFont.Layout) -> ImageFont.FreeTypeFont:
    """Load a font once per (file, size, engine): parsing a TTF costs milliseconds."""
    return ImageFont.truetype(str(path), size, layout_engine=engine)

"""The plan's fonts: DejaVu Sans, bundled in ``resources/fonts`` and registered with Qt, so a
plan looks the same on every machine, including a CI box with no fonts installed."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QFont, QFontDatabase

from districtplanner.paths import resources_dir

FAMILY = "DejaVu Sans"
CONDENSED = "DejaVu Sans Condensed"


class FontError(RuntimeError):
    """The bundled fonts are missing or unreadable."""


@cache
def load_fonts() -> tuple[str, ...]:
    """Register every bundled TTF once (needs a QGuiApplication); the families added."""
    folder = resources_dir() / "fonts"
    families: list[str] = []
    for path in sorted(folder.glob("*.ttf")):
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id < 0:
            raise FontError(f"{path}: Qt could not read this font file; reinstall the app.")
        families += QFontDatabase.applicationFontFamilies(font_id)
    if FAMILY not in families:
        raise FontError(f"{folder}: the bundled font {FAMILY} is missing; reinstall the app.")
    return tuple(dict.fromkeys(families))


def font(size_pt: float, bold: bool = False, italic: bool = False,
         condensed: bool = False) -> QFont:
    """A bundled font at ``size_pt`` points; never falls back to a system font."""
    families = load_fonts()
    f = QFont(CONDENSED if condensed and CONDENSED in families else FAMILY)
    f.setPointSizeF(size_pt)
    f.setBold(bold)
    f.setItalic(italic)
    # Kerning from the font itself, not from screen hinting: the PDF is read at any zoom.
    f.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    f.setStyleStrategy(QFont.StyleStrategy.NoFontMerging)
    # No ligatures: with them "firms" is stored as "ﬁrms" and a search of the PDF misses it.
    f.setFeature(QFont.Tag("liga"), 0)
    return f

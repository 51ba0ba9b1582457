"""Convert Textual SVG screenshots to PNG with rsvg-convert (apt: librsvg2-bin).

Textual writes runs of cells as ``<text x=.. textLength=..>`` whose leading non-breaking
spaces rsvg collapses, which shifts text left. We move those spaces into ``x`` first.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

_TEXT = re.compile(
    r'<text([^>]*?) x="([0-9.]+)"([^>]*?) textLength="([0-9.]+)"([^>]*)>((?:&#160;)+)'
)


def fix_svg(svg: str, cell_width: float) -> str:
    """Replace leading non-breaking spaces of each text run by an x offset."""

    def shift(match: re.Match[str]) -> str:
        pre, x, mid, length, post, spaces = match.groups()
        count = spaces.count("&#160;")
        new_x = float(x) + count * cell_width
        new_length = max(0.0, float(length) - count * cell_width)
        return f'<text{pre} x="{new_x:g}"{mid} textLength="{new_length:g}"{post}>'

    return _TEXT.sub(shift, svg)


def convert(svg_path: Path, png_path: Path, width: int = 1600) -> None:
    """Write ``png_path`` from ``svg_path``."""
    exe = shutil.which("rsvg-convert")
    if exe is None:
        raise SystemExit("rsvg-convert not found: apt-get install -y librsvg2-bin")
    svg = svg_path.read_text(encoding="utf-8")
    cell = re.search(r'textLength="([0-9.]+)"[^>]*>([^<&]{4,})<', svg)
    cell_width = float(cell.group(1)) / len(cell.group(2)) if cell else 12.2
    fixed = fix_svg(svg, cell_width)
    subprocess.run([exe, "-w", str(width), "-o", str(png_path)], input=fixed.encode(), check=True)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        source = Path(name)
        convert(source, source.with_suffix(".png"))

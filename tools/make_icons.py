"""Draw the web-app icons of chibo (chibo/static/chibo/icons): a yellow five-pointed star on
the party's red, in the sizes the manifest names; the "maskable" ones keep the star inside
the middle 80 % that a phone's mask leaves visible. Run from the repository's root:
`.venv/bin/python tools/make_icons.py`; the PNG files are committed."""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

RED = (200, 16, 46)
YELLOW = (255, 205, 0)
OUT = Path(__file__).resolve().parent.parent / "chibo" / "static" / "chibo" / "icons"


def star(size: int, radius: float) -> list[tuple[float, float]]:
    centre = size / 2
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.382
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((centre + r * math.cos(angle), centre + r * math.sin(angle) + radius * 0.06))
    return points


def icon(size: int, *, maskable: bool) -> Image.Image:
    scale = 4  # drawn large, then reduced: smooth edges
    big = size * scale
    image = Image.new("RGB", (big, big), RED)
    draw = ImageDraw.Draw(image)
    radius = big * (0.30 if maskable else 0.40)
    draw.polygon(star(big, radius), fill=YELLOW)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
        icon(size, maskable=True).save(OUT / f"maskable-{size}.png", optimize=True)


if __name__ == "__main__":
    main()

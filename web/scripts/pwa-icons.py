#!/usr/bin/env python3
"""Draws the 1022 app's icons into web/public/icons (run once; the PNGs are committed).

"1022" in white on the console's blue (#0b5394, contrast 8.3:1), in DejaVu Sans
Bold (Debian's fonts-dejavu-core; its licence allows any use of rendered glyphs).
`icon-*.png` have rounded corners; `maskable-*.png` fill the square and keep the
text inside the central safe zone (a circle of 40% radius) that launchers keep.
"""
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BLUE = (11, 83, 148, 255)
WHITE = (255, 255, 255, 255)
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
OUT = Path(__file__).resolve().parent.parent / "public" / "icons"


def draw(size: int, maskable: bool) -> Image.Image:
    scale = 4  # draw large, then downsample for smooth edges
    big = size * scale
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if maskable:
        d.rectangle((0, 0, big, big), fill=BLUE)
        text_width = big * 0.56
    else:
        d.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.18, fill=BLUE)
        text_width = big * 0.74
    font_size = big
    font = ImageFont.truetype(FONT, font_size)
    while d.textlength("1022", font=font) > text_width:
        font_size -= scale
        font = ImageFont.truetype(FONT, font_size)
    # Centre on the ink, not on the font's ascent box.
    left, top, right, bottom = d.textbbox((0, 0), "1022", font=font)
    x = (big - (right - left)) / 2 - left
    y = (big - (bottom - top)) / 2 - top - big * 0.06
    d.text((x, y), "1022", font=font, fill=WHITE)
    # A short bar under the number: the "line" citizens call.
    bar_w, bar_h = (right - left) * 0.5, big * 0.035
    bar_y = y + bottom + big * 0.06
    d.rounded_rectangle(((big - bar_w) / 2, bar_y, (big + bar_w) / 2, bar_y + bar_h), radius=bar_h / 2, fill=WHITE)
    return img.resize((size, size), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size, False).save(OUT / f"icon-{size}.png", optimize=True)
        draw(size, True).save(OUT / f"maskable-{size}.png", optimize=True)
    # iOS home screens take a 180 px square without transparency.
    draw(180, True).save(OUT / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()

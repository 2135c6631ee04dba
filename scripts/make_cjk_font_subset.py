"""Make resources/fonts/GatevizCJKSC-Regular.otf: a subset of Noto Sans CJK SC (OFL 1.1).

gateviz draws Chinese on machines without any CJK font (a bare Linux, CI), so it ships a
subset of an OFL font and loads it at run time (gateviz/ui/fonts.py). The subset holds:

- GB2312 level 1: the 3,755 most common hanzi (rows 0xB0-0xD7 of GB2312, derived from
  Python's own gb2312 codec, so the list is reproducible without downloading anything);
- GB2312 rows 1-3: Chinese punctuation and symbols (、。《》【】… ⊙ ℃ ①), full-width ASCII;
- the CJK Symbols and Punctuation block, full-width and half-width forms, Chinese numerals
  (〇 一 … 亿, 零 壹 … 仟), printable ASCII (digits and Latin inside Chinese text);
- every character of every Qt translation file (resources/**/*.ts), so whatever the
  translation says is drawn: rerun this script after editing a .ts file.

The family is renamed "Gateviz CJK SC" so it never shadows a full Noto Sans CJK SC that a
user has installed (a subset under the same name could hide the full font's glyphs).

Usage (fontTools is a tool of this script only, not a run-time dependency of gateviz):

    pip install fonttools
    python scripts/make_cjk_font_subset.py [--source NotoSansCJK-Regular.ttc]

The source is Debian's fonts-noto-cjk (``apt-get download fonts-noto-cjk && dpkg-deb -x
fonts-noto-cjk_*.deb deb``, then ``--source deb/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc``),
version 2.004 (Debian 1:20220127+repack1-1); the default path is where that package installs it.
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SOURCE_FAMILY = "Noto Sans CJK SC"
OUT = ROOT / "resources" / "fonts" / "GatevizCJKSC-Regular.otf"
FAMILY = "Gateviz CJK SC"
POSTSCRIPT = "GatevizCJKSC-Regular"

CHINESE_NUMERALS = "〇零一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾佰仟萬億"
# characters of the translations that Noto Sans CJK SC 2.004 lacks (h̃'s combining tilde, log₂, ∂xₜ,
# View ▸ …, ⚡): not asked of the subset; the Latin UI font draws them (DejaVu Sans has each)
NOT_IN_SOURCE = "\u0303₂ₜ▸⚡"


def gb2312_chars(rows: range) -> list[str]:
    """The characters of GB2312 rows ``rows`` (0xA1.. lead bytes), cells 0xA1-0xFE; unassigned cells skipped."""
    out = []
    for lead in rows:
        for cell in range(0xA1, 0xFF):
            try:
                out.append(bytes([lead, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


def level1_hanzi() -> list[str]:
    chars = gb2312_chars(range(0xB0, 0xD8))
    assert len(chars) == 3755, len(chars)  # GB2312 level 1 has exactly 3,755 hanzi
    return chars


def translation_chars(root: Path) -> set[str]:
    """Every character in the <source> and <translation> texts of Qt .ts files under ``root``."""
    chars: set[str] = set()
    for ts in sorted(root.rglob("*.ts")):
        for el in ET.parse(ts).iter():
            if el.tag in ("source", "translation", "numerusform", "comment", "extracomment", "name"):
                chars.update(el.text or "")
    return {c for c in chars if c.isprintable()}


def charset(resources: Path) -> set[int]:
    chars = set(level1_hanzi())
    chars.update(gb2312_chars(range(0xA1, 0xA4)))  # symbols, numbered forms, full-width ASCII
    chars.update(chr(c) for c in range(0x3000, 0x3040))  # CJK Symbols and Punctuation
    chars.update(chr(c) for c in range(0xFF01, 0xFF66))  # full-width forms, half-width CJK punctuation
    chars.update(chr(c) for c in range(0x20, 0x7F))  # ASCII inside Chinese text
    chars.update("·—–‘’“”…‰※⊙×÷±−≤≥≈≠→←↑↓")  # punctuation and the formulas' symbols
    chars.update(CHINESE_NUMERALS)
    chars.update(translation_chars(resources))
    return {ord(c) for c in chars} - {ord(c) for c in NOT_IN_SOURCE}


def rename(font) -> None:
    """A distinct family and PostScript name; copyright, licence and designer records stay."""
    name = font["name"]
    full = f"{FAMILY} Regular"
    for rec in list(name.names):
        if rec.nameID in (1, 16):
            name.setName(FAMILY, rec.nameID, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 4:
            name.setName(full, 4, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 6:
            name.setName(POSTSCRIPT, 6, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 3:
            name.setName(f"{POSTSCRIPT};subset of {str(rec)}", 3, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 17:
            name.setName("Regular", 17, rec.platformID, rec.platEncID, rec.langID)
    # the CFF table carries its own names too
    cff = font["CFF "].cff
    cff.fontNames = [POSTSCRIPT]
    top = cff.topDictIndex[0]
    top.FullName, top.FamilyName = full, FAMILY


def main(argv: list[str] | None = None) -> int:
    from fontTools import subset
    from fontTools.ttLib import TTCollection, TTFont

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="NotoSansCJK-Regular.ttc or a SC .otf")
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not args.source.exists():
        print(f"{args.source} not found: install Debian's fonts-noto-cjk or pass --source", file=sys.stderr)
        return 2
    if args.source.suffix.lower() == ".ttc":
        faces = TTCollection(str(args.source)).fonts
        matches = [f for f in faces if f["name"].getDebugName(1) == SOURCE_FAMILY]
        if not matches:
            print(f"{args.source} holds no {SOURCE_FAMILY!r}", file=sys.stderr)
            return 2
        font = matches[0]
    else:
        font = TTFont(str(args.source))
    wanted = charset(ROOT / "resources")
    options = subset.Options()
    # fontTools' default features plus proportional / half-width CJK punctuation, but not locl:
    # its Japanese, Korean and Traditional forms of the same hanzi doubled the glyphs (7,483,
    # 1.8 MB); "*" would also keep every alternate (aalt, jp78, vert, ...)
    options.layout_features = [f for f in options.layout_features if f != "locl"] + ["palt", "halt"]
    options.name_IDs = ["*"]  # keep copyright (0), trademark (7), designer, licence (13, 14)
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["VORG", "vhea", "vmtx"]  # vertical layout: gateviz writes horizontally
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(wanted))
    subsetter.subset(font)
    rename(font)
    font.recalcTimestamp = False  # keep the source's head.modified: the same input makes the same bytes
    args.output.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(args.output))
    covered = set(font.getBestCmap())
    missing = sorted(wanted - covered)
    print(f"{args.output}: {args.output.stat().st_size:,} bytes, {len(font.getGlyphOrder())} glyphs, "
          f"{len(covered)} code points ({len(missing)} wanted but not in the source font"
          f"{': ' + ''.join(map(chr, missing[:40])) if missing else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Refresh the Simplified Chinese translation files and compile them (issue 15).

    python scripts/update_translations.py            # lupdate the window's and the tasks' .ts, lrelease every .ts
    python scripts/update_translations.py --release  # only compile every resources/i18n/*.ts to .qm

1. ``pyside6-lupdate`` extracts every ``translate("Context", "text")``, ``self.tr("text")`` and
   ``QT_TRANSLATE_NOOP("Context", "text")`` of gateviz/ui/*.py (not gateviz/ui/panels/: that is
   gateviz_panels_zh_CN.ts, kept by its own lupdate run) and gateviz/cli/*.py into
   resources/i18n/gateviz_zh_CN.ts, keeping the translations already there (new strings arrive as
   type="unfinished": tests/test_i18n.py fails until they are translated) and dropping obsolete ones.
   The Qt-free words (``gateviz.core.texts.QT_TRANSLATE_NOOP`` in gateviz/tasks, core and formats,
   gateviz/bundled.py and scripts/train_bundled.py: task titles, samples, metric names, ablation results,
   the errors a user meets first, bundled models' labels and descriptions) go the same way into resources/i18n/gateviz_tasks_zh_CN.ts.
2. ``pyside6-lrelease`` compiles every resources/i18n/*.ts to the .qm beside it, which ships in the
   wheel (package data "gateviz.resources" = **/*) and gateviz/ui/i18n.py loads at run time.

After adding characters to a translation, run scripts/make_cjk_font_subset.py too (the bundled
font must hold them; tests/test_cjk_font.py checks).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "resources" / "i18n"
WINDOW_TS = I18N / "gateviz_zh_CN.ts"
TASKS_TS = I18N / "gateviz_tasks_zh_CN.ts"


def tool(name: str) -> str:
    """pyside6-lupdate / pyside6-lrelease: beside this Python first (a venv), else on PATH."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found: pip install PySide6-Essentials (it ships {name})")
    return found


def window_sources() -> list[Path]:
    """The files whose strings gateviz_zh_CN.ts holds: the window's modules and the CLI."""
    files = sorted((ROOT / "gateviz" / "ui").glob("*.py")) + sorted((ROOT / "gateviz" / "cli").glob("*.py"))
    return [f for f in files if "QT_TRANSLATE_NOOP" in (text := f.read_text(encoding="utf-8"))
            or "translate(" in text or ".tr(" in text]


def task_sources() -> list[Path]:
    """The Qt-free files whose marked words gateviz_tasks_zh_CN.ts holds."""
    files = [f for folder in ("tasks", "core", "formats") for f in sorted((ROOT / "gateviz" / folder).glob("*.py"))]
    files += [ROOT / "gateviz" / "bundled.py", ROOT / "scripts" / "train_bundled.py"]
    return [f for f in files if "QT_TRANSLATE_NOOP" in f.read_text(encoding="utf-8")]


def lupdate() -> None:
    for ts, files in ((WINDOW_TS, window_sources()), (TASKS_TS, task_sources())):
        sources = [str(p.relative_to(ROOT)) for p in files]
        subprocess.run([tool("pyside6-lupdate"), "-no-obsolete", "-locations", "none", "-target-language", "zh_CN",
                        *sources, "-ts", str(ts.relative_to(ROOT))], cwd=ROOT, check=True)


def lrelease() -> list[Path]:
    out = []
    for ts in sorted(I18N.glob("*.ts")):
        qm = ts.with_suffix(".qm")
        subprocess.run([tool("pyside6-lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)
        out.append(qm)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--release", action="store_true", help="only compile the .ts files to .qm")
    args = parser.parse_args(argv)
    if not args.release:
        lupdate()
    for qm in lrelease():
        print(f"wrote {qm.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

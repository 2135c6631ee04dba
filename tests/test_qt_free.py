"""core, formats, tasks, training and data export never import Qt (design.md, architecture).

A fresh interpreter with PySide6 (and everything that would pull Qt in) made unimportable
imports every module of those packages, traces a sequence, and reads and writes a model.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent(r"""
    import importlib, importlib.abc, pkgutil, sys, tempfile, os

    BLOCKED = ("PySide6", "shiboken6", "pyqtgraph", "superqt", "qtpy", "PyQt5", "PyQt6", "PySide2")

    class NoQt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is blocked: this module must stay Qt-free")
            return None

    sys.meta_path.insert(0, NoQt())

    imported = []
    for package in ("gateviz.core", "gateviz.formats", "gateviz.tasks"):
        try:
            pkg = importlib.import_module(package)
        except ModuleNotFoundError as e:
            if e.name == package:
                continue  # not built yet
            raise
        imported.append(package)
        for info in pkgutil.walk_packages(pkg.__path__, package + "."):
            importlib.import_module(info.name)
            imported.append(info.name)
    for module in ("gateviz.training", "gateviz.export.data", "gateviz.cli", "gateviz.cli.trace_cmd",
                   "gateviz.cli.info_cmd", "gateviz.paths"):
        try:
            importlib.import_module(module)
            imported.append(module)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise

    import numpy as np
    from gateviz.core.model import DirectionWeights, InputStage, RecurrentLayer, RecurrentModel
    from gateviz.core.engine import trace
    from gateviz.formats import load_model, save_model

    rng = np.random.default_rng(0)
    d = DirectionWeights(rng.standard_normal((12, 2)), rng.standard_normal((12, 3)), np.zeros(12), np.zeros(12))
    model = RecurrentModel([RecurrentLayer("lstm", 3, 2, [d])], InputStage("raw", 2))
    path = os.path.join(tempfile.mkdtemp(), "m.gvm")
    save_model(model, path)
    tr = trace(load_model(path), rng.standard_normal((5, 2)))
    assert tr.get(0, "forward", "cell_state").shape == (5, 3)

    leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    assert not leaked, leaked
    print("IMPORTED", len(imported), " ".join(imported))
""")


def test_core_formats_tasks_training_import_without_qt():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    imported = proc.stdout.split("IMPORTED", 1)[1].split()
    assert "gateviz.core.engine" in imported and "gateviz.formats.pytorch" in imported
    assert "gateviz.formats.sequences" in imported and "gateviz.formats.gateviz_file" in imported

"""The wheel: every gateviz package, the bundled resources/ as gateviz.resources, the command.

Builds a real wheel from a copy of the source (so the checkout gets no build/ or egg-info
litter). Uses the environment's setuptools when it is new enough, else pip's isolated
build (which fetches setuptools from the package index).
"""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "setup.py", "README.md", "gateviz", "resources")


def _setuptools_is_recent() -> bool:
    try:
        import setuptools
    except ImportError:
        return False
    return int(setuptools.__version__.split(".")[0]) >= 68


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy2(path, src / name)
    cmd = [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-w", str(tmp / "dist"), "-q",
           "--disable-pip-version-check"]
    if _setuptools_is_recent():
        cmd.append("--no-build-isolation")
    proc = subprocess.run(cmd, cwd=src, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (found,) = (tmp / "dist").glob("gateviz-*.whl")
    with zipfile.ZipFile(found) as zf:
        yield zf.namelist(), zf.read(next(n for n in zf.namelist() if n.endswith("entry_points.txt"))).decode(), found


@pytest.mark.slow
def test_wheel_ships_resources(wheel):
    names, _, _ = wheel
    expected = sorted("gateviz/resources/" + p.relative_to(ROOT / "resources").as_posix()
                      for p in (ROOT / "resources").rglob("*")
                      if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    assert "gateviz/resources/README.md" in expected
    missing = [n for n in expected if n not in names]
    assert not missing, f"resources missing from the wheel: {missing}"


@pytest.mark.slow
def test_wheel_has_every_package_and_the_command(wheel):
    names, entry_points, _ = wheel
    packages = [p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "gateviz").rglob("__init__.py")
                if "__pycache__" not in p.parts]
    for package in packages:
        assert f"{package}/__init__.py" in names, f"{package} is not in the wheel"
    assert "gateviz/core/engine.py" in names and "gateviz/formats/gateviz_file.py" in names
    assert "gateviz = gateviz.cli:main" in entry_points
    assert not any(n.startswith(("tests/", "benchmarks/", "resources/")) for n in names)


@pytest.mark.slow
def test_installed_wheel_finds_its_resources(wheel, tmp_path):
    """A non-editable install (here: the wheel unpacked by pip into a folder) finds resources/
    through gateviz.paths, away from the checkout."""
    _, _, path = wheel
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                           "--disable-pip-version-check", "--target", str(target), str(path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    code = ("import gateviz, gateviz.paths as p; print(gateviz.__file__); print(p.resources_dir()); "
            "print(p.resource('README.md').is_file())")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    module_file, resources, readme = proc.stdout.split()
    assert module_file.startswith(str(target)) and resources.startswith(str(target))
    assert readme == "True"

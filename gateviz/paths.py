"""Where gateviz finds its bundled resources, installed or run from a checkout."""

from __future__ import annotations

from pathlib import Path


def resources_dir() -> Path:
    """The resources folder: ``gateviz.resources`` when installed, ``./resources`` in a checkout."""
    try:
        import gateviz.resources as res  # installed wheel or editable install

        return Path(res.__file__).parent
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)

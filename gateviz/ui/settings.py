"""What the app remembers between runs: window layout, theme, recent files, playback speed.

INI format always (plain text, same on every platform). The folder is
``$GATEVIZ_SETTINGS_DIR`` when set (tests set it), else the platform's user config
folder. INI values come back as strings in a new process: always read with ``type=``
(design.md, known traps) — the helpers below do.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings

MAX_RECENT = 10


def settings() -> QSettings:
    folder = os.environ.get("GATEVIZ_SETTINGS_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        return QSettings(os.path.join(folder, "gateviz.ini"), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "gateviz", "gateviz")


def read_bool(key: str, default: bool) -> bool:
    return bool(settings().value(key, default, type=bool))


def read_int(key: str, default: int) -> int:
    return int(settings().value(key, default, type=int))


def read_float(key: str, default: float) -> float:
    return float(settings().value(key, default, type=float))


def read_str(key: str, default: str) -> str:
    return str(settings().value(key, default, type=str))


def write(key: str, value) -> None:
    s = settings()
    s.setValue(key, value)
    s.sync()


def recent_files() -> list[str]:
    value = settings().value("recent/files", [], type=list)
    return [str(v) for v in (value or []) if v]


def add_recent_file(path: str) -> list[str]:
    path = os.path.abspath(path)
    files = [path] + [f for f in recent_files() if f != path]
    files = files[:MAX_RECENT]
    write("recent/files", files)
    return files


def clear_recent_files() -> None:
    write("recent/files", [])

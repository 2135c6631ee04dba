"""Translatable text in Qt-free code: English by default, translatable by the interface (issue 15).

The core, the tasks and the bundle write their user-visible words (a task's title, a sample's
description, a metric's name) in English and mark them with ``QT_TRANSLATE_NOOP("Context", "text")``.
``pyside6-lupdate`` extracts these calls by name (scripts/update_translations.py), and the marker
returns a ``Message``: a plain ``str`` holding the English text, which also remembers its context, its
template and the fields it was formatted with. The CLI, the files and the tests see the English text;
the window and the exports translate it with ``gateviz.ui.i18n.localized`` at display time, so a
language switch re-translates what is already on screen.

    label = QT_TRANSLATE_NOOP("Tasks", "depth {d}").format(d=3)
    str(label) == "depth 3"; label.template == "depth {d}"; label.fields == {"d": 3}

Never pass an f-string to the marker: lupdate would extract the braces, not the words.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# templates seen by this process, per context, for translating plain strings read back from files
# (a model file's head labels are stored as English text: "depth 3")
_TEMPLATES: dict[str, set[str]] = {}


class Message(str):
    """English text that remembers how to translate itself: ``context``, ``template``, ``fields``."""

    context: str
    template: str
    fields: dict[str, Any]

    def __new__(cls, context: str, template: str, fields: dict[str, Any] | None = None):
        text = template.format(**fields) if fields else template
        self = super().__new__(cls, text)
        self.context, self.template, self.fields = context, template, dict(fields or {})
        return self

    def format(self, *args, **fields) -> "Message":  # noqa: A003 - str's own name, on purpose
        if args:
            raise TypeError("Message.format takes named fields only (translations may reorder them)")
        return Message(self.context, self.template, {**self.fields, **fields})

    def __reduce__(self):  # pickles (worker processes, deep copies) keep the translation
        return (Message, (self.context, self.template, self.fields))


def QT_TRANSLATE_NOOP(context: str, text: str) -> Message:  # noqa: N802 - the name lupdate extracts
    """Mark ``text`` for translation in ``context``; it stays English here (see the module doc)."""
    if "{" in text:
        _TEMPLATES.setdefault(context, set()).add(text)
    return Message(context, text)


def match_template(context: str, text: str) -> Message | None:
    """A plain string that one of ``context``'s templates would write, as that Message; else None.

    Only numbers fill a field here ("depth 3", "held-out passage 2"): the strings read back from files
    (head labels, sample catalogues) are written with numeric fields, and a user's own text ("a cat")
    must not be taken for a template ("a {digit}"). Templates register when their module is imported,
    so modules keep their templates as module-level constants.
    """
    for template in sorted(_TEMPLATES.get(context, ()), key=len, reverse=True):
        pattern = _pattern(template)
        found = pattern.fullmatch(text) if pattern is not None else None
        if found:
            return Message(context, template, {k: int(v) for k, v in found.groupdict().items()})
    return None


@lru_cache(maxsize=None)
def _pattern(template: str) -> re.Pattern | None:
    """"depth {d}" -> "depth (?P<d>-?\\d+)" (None when a field repeats: no single match)."""
    pieces, names = [], []
    for part in re.split(r"(\{\w+(?::[^}]*)?\})", template):
        if part.startswith("{"):
            names.append(re.match(r"\{(\w+)", part).group(1))
            pieces.append(f"(?P<{names[-1]}>-?\\d+)")
        else:
            pieces.append(re.escape(part))
    return re.compile("".join(pieces)) if len(set(names)) == len(names) else None

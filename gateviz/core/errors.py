"""User-facing errors.

Every error a user can cause (a bad file, a wrong sequence) is a ``GatevizError``
whose message says what is wrong and what would work. The CLI prints it as one line
on stderr and exits non-zero; the app shows it in a dialog. Anything else is a bug.
"""


class GatevizError(ValueError):
    """Base of every error caused by the user's input, not by a bug."""


class ModelError(GatevizError):
    """A model description that cannot be traced (wrong shapes, unknown options)."""


class SequenceError(GatevizError):
    """An input sequence the model cannot take (empty, NaN, wrong number of features)."""


class FormatError(GatevizError):
    """A file that cannot be read as a model or a sequence (corrupt, foreign, unsupported)."""


class ModuleChoiceRequired(FormatError):
    """The file is readable, but the user must pick which recurrent module to open.

    Raised when a file holds several recurrent modules, or its recurrent layers sit behind
    layers gateviz cannot trace. The CLI shows the message (it names ``--module``); the app
    catches this class and offers a chooser.
    """

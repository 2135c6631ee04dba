"""The ``gateviz`` command.

    gateviz                      open the app on a bundled model
    gateviz MODEL [INPUT]        open the app on that model (and input)
    gateviz SESSION              open the app on a saved session (.gvsession): model, input and view
    gateviz --lang zh|en ...     the interface (and exported figures) in Chinese or English
    gateviz trace|info|train|export|ablate ...   batch work, no window

Each subcommand lives in its own module with ``add_arguments(parser)`` and
``run(args) -> int``; modules import nothing heavy at import time, so ``--help`` is
instant. Every user error (``GatevizError``, a missing file) becomes one line on
stderr and a non-zero exit; set GATEVIZ_DEBUG=1 to see tracebacks.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# subcommand -> (module, one-line help)
SUBCOMMANDS = {
    "trace": ("gateviz.cli.trace_cmd", "trace a sequence through a model and write the trace file (.npz)"),
    "info": ("gateviz.cli.info_cmd", "print what a model file holds"),
    "train": ("gateviz.cli.train_cmd", "train a model on a built-in task and save it"),
    "export": ("gateviz.cli.export_cmd", "render figures, animations or data without opening the app"),
    "ablate": ("gateviz.cli.ablate_cmd", "silence each unit in turn and rank the units by the change they cause"),
}

EXIT_USER_ERROR = 2


class _OneLineErrors(argparse.ArgumentParser):
    """A mistake on the command line is one line on stderr and exit status 2, like every other error
    (argparse would print the whole usage block above it); --help still shows the usage."""

    def error(self, message: str):  # noqa: D102 (argparse's name)
        print(f"{self.prog}: error: {message} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(EXIT_USER_ERROR)


def _build_parser() -> argparse.ArgumentParser:
    from gateviz import __version__

    parser = _OneLineErrors(
        prog="gateviz",
        description="Watch every gate of an LSTM, GRU or RNN, step by step. "
                    "With no subcommand, opens the app (optionally on MODEL and INPUT).",
    )
    parser.add_argument("--version", action="version", version=f"gateviz {__version__}")
    parser.add_argument("--lang", metavar="zh|en",
                        help="interface language: zh (Simplified Chinese) or en; default: $GATEVIZ_LANG, "
                             "the language last chosen in View > Language, else the system's")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name != module_name:
                raise
            continue  # subcommand not built yet
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def _report(message: str) -> int:
    print(f"gateviz: error: {message}", file=sys.stderr)
    return EXIT_USER_ERROR


def run_guarded(fn, *args) -> int:
    """Run a command; user errors become one stderr line and exit code 2."""
    from gateviz.core.errors import GatevizError

    try:
        return int(fn(*args) or 0)
    except GatevizError as e:
        return _report(str(e))
    except FileNotFoundError as e:
        return _report(f"no such file: {e.filename or e}")
    except IsADirectoryError as e:
        return _report(f"{e.filename} is a folder; give a file")
    except PermissionError as e:
        return _report(f"permission denied: {e.filename or e}")
    except KeyboardInterrupt:
        print("gateviz: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # whoever read stdout stopped (gateviz info M | head): not an error of ours
        try:  # Python would complain again when it flushes stdout at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 141  # as a process stopped by SIGPIPE
    except Exception as e:  # a bug: still one line unless debugging
        if os.environ.get("GATEVIZ_DEBUG"):
            raise
        return _report(f"unexpected {type(e).__name__}: {e} (set GATEVIZ_DEBUG=1 for a traceback)") or 1


def _names_a_model(word: str) -> bool:
    """What the app can open: an existing path or a bundled model (the app says which one is wrong)."""
    return word.startswith("bundled:") or os.path.exists(word)


def _is_session(word: str) -> bool:
    from gateviz.session import is_session_file

    return not word.startswith("bundled:") and os.path.isfile(word) and is_session_file(word)


def _not_a_command(word: str) -> str:
    """'gateviz ablte ...' must not start the app on a model called 'ablte': say what it is not,
    and the command it was probably meant to be."""
    import difflib

    if "." in word or "/" in word or os.sep in word:  # a file name, not a command
        return f"no such file: {word} (to open a model give its path, or bundled:NAME)"
    close = difflib.get_close_matches(word.lower(), SUBCOMMANDS, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else "; see gateviz --help"
    return f"'{word}' is neither a command ({', '.join(SUBCOMMANDS)}) nor a file{hint}"


LANG_CODES = {"zh": "zh_CN", "zh_CN": "zh_CN", "en": "en"}


def _pop_lang(argv: list[str]) -> tuple[str | None, list[str]]:
    """``--lang X`` / ``--lang=X`` anywhere before a subcommand -> ("zh_CN" | "en" | None, the rest).
    Raises ValueError (one line: what is wrong and what would work) for a missing or unknown language."""
    rest, lang, i = [], None, 0
    while i < len(argv):
        word = argv[i]
        if word in SUBCOMMANDS and not rest:
            rest.extend(argv[i:])  # a subcommand's own options are its own
            break
        if word == "--lang" or word.startswith("--lang="):
            value = word.partition("=")[2] if "=" in word else (argv[i + 1] if i + 1 < len(argv) else "")
            i += 1 if "=" in word else 2
            if value not in LANG_CODES:
                raise ValueError(f"--lang takes zh (Simplified Chinese) or en, not {value!r}"
                                 if value else "--lang needs a language: zh or en")
            lang = LANG_CODES[value]
            continue
        rest.append(word)
        i += 1
    return lang, rest


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        lang, argv = _pop_lang(argv)
    except ValueError as e:
        return _report(str(e))
    if lang is not None:
        os.environ["GATEVIZ_LANG"] = lang  # the app's initial_language and export's figures read it
    if not argv or (argv[0] not in SUBCOMMANDS and not argv[0].startswith("-")):
        # the app: gateviz [MODEL [INPUT]]
        if len(argv) > 2:
            return _report("usage: gateviz [MODEL [INPUT]] or gateviz COMMAND ...; see gateviz --help")
        if argv and not _names_a_model(argv[0]):
            return _report(_not_a_command(argv[0]))
        if argv and _is_session(argv[0]):  # gateviz SESSION (issue 16): checked here, one line if broken
            if len(argv) > 1:
                return _report(f"{argv[0]} is a session file: it holds its own input; give the session alone")
            from gateviz.session import read_session

            status = run_guarded(lambda path: read_session(path) and 0, argv[0])
            if status:
                return status

        def start_app() -> int:
            from gateviz.ui.app import run_app

            return run_app(*argv, lang=lang)

        return run_guarded(start_app)
    parser = _build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "_run"):
        parser.print_help(sys.stderr)
        return EXIT_USER_ERROR
    return run_guarded(args._run, args)

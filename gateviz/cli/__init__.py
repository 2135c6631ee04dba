"""The ``gateviz`` command.

    gateviz                      open the app on a bundled model
    gateviz MODEL [INPUT]        open the app on that model (and input)
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


def _not_a_command(word: str) -> str:
    """'gateviz ablte ...' must not start the app on a model called 'ablte': say what it is not,
    and the command it was probably meant to be."""
    import difflib

    if "." in word or "/" in word or os.sep in word:  # a file name, not a command
        return f"no such file: {word} (to open a model give its path, or bundled:NAME)"
    close = difflib.get_close_matches(word.lower(), SUBCOMMANDS, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else "; see gateviz --help"
    return f"'{word}' is neither a command ({', '.join(SUBCOMMANDS)}) nor a file{hint}"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in SUBCOMMANDS and not argv[0].startswith("-")):
        # the app: gateviz [MODEL [INPUT]]
        if len(argv) > 2:
            return _report("usage: gateviz [MODEL [INPUT]] or gateviz COMMAND ...; see gateviz --help")
        if argv and not _names_a_model(argv[0]):
            return _report(_not_a_command(argv[0]))

        def start_app() -> int:
            from gateviz.ui.app import run_app

            return run_app(*argv)

        return run_guarded(start_app)
    parser = _build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "_run"):
        parser.print_help(sys.stderr)
        return EXIT_USER_ERROR
    return run_guarded(args._run, args)

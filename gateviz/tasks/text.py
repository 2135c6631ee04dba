"""text: a character-level language model (Karpathy's char-rnn) on a text corpus.

The default corpus exists offline on every machine: a fixed list of modules from the
Python standard library's own source (quotes, indentation and brackets give cells that
track them). Its vocabulary is fixed too: the 95 printable ASCII characters and the
newline (tabs become four spaces; other characters are dropped). A user's own file
gets the vocabulary of its (at most 256) most frequent characters.

The model reads one-hot characters and predicts the next character at every step
(softmax). The last 10 % of the corpus is held out. Metric: bits per character on the
held-out text, against a unigram baseline (the training text's character frequencies).

decode() keys:
    chars           list[str], the input characters
    probabilities   (T, V) next-character probabilities after each character
    top             list[str], the most likely next character after each character
    top_probability (T,) its probability
    surprisal       (T-1,) bits the model needed for each actual next character
    vocab           list[str]
"""

from __future__ import annotations

import sysconfig
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import GatevizError
from ..core.model import InputStage, RecurrentModel
from .base import Batch, Sample, Task, generated_dataset, memory_state, trace_outputs, unit_correlations

# Modules present (with these names) in every CPython 3.10+; read in this order.
STDLIB_MODULES = (
    "textwrap.py", "heapq.py", "fnmatch.py", "colorsys.py", "calendar.py", "queue.py", "sched.py",
    "graphlib.py", "glob.py", "string.py", "abc.py", "pprint.py", "reprlib.py", "fractions.py",
    "statistics.py", "dataclasses.py", "bisect.py", "shlex.py",
)
MIN_CORPUS = 100_000  # characters; below this, more stdlib files are added in name order
ASCII_VOCAB = ["\n"] + [chr(c) for c in range(32, 127)]
MAX_VOCAB = 256
HELD_OUT_FRACTION = 0.1
EVAL_CHARS = 20_000  # held-out characters scored by evaluate()
EVAL_CHUNK = 250  # ... in sequences of this length

SAMPLE_TEXTS = (
    ("indentation and quotes", "a function with a docstring, nested blocks and both kinds of quotes",
     'def greet(name, loud=False):\n    """Say hello to someone."""\n    if name:\n'
     '        text = "Hello, " + name + "!"\n        if loud:\n            return text.upper()\n'
     "        return text\n    return 'nobody is here'\n"),
    ("nested brackets", "calls inside lists inside calls: a cell tracks the open brackets",
     "result = max(len(words), sum([int(x) for x in (a, b, c)]), key=lambda k: (k[0], k[1]))\n"),
    ("a comment and a string", "prose inside code: the model switches style after '#' and inside quotes",
     "# the quick brown fox jumps over the lazy dog\nmessage = \"it's a long way down\"\nprint(message)\n"),
)


def clean_text(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")


@lru_cache(maxsize=1)
def stdlib_corpus() -> str:
    """The default corpus: fixed standard-library modules, printable ASCII only."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files = [root / name for name in STDLIB_MODULES if (root / name).is_file()]
    allowed = set(ASCII_VOCAB)
    parts, size = [], 0
    for path in files + sorted(p for p in root.glob("*.py") if p not in files):
        if size >= MIN_CORPUS and path not in files:
            break
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        text = "".join(ch for ch in clean_text(text) if ch in allowed)
        parts.append(text)
        size += len(text)
    if size < 10_000:
        raise GatevizError(f"the Python standard library's sources were not found under {root}; "
                           "train the text task on your own file instead (--text FILE)")
    return "\n".join(parts)


def bracket_depth(text: str) -> np.ndarray:
    """How many (, [ and { are open after each character: (T,) int (a stray closer never goes below 0)."""
    depth, out = 0, np.zeros(len(text), dtype=np.int64)
    for t, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        out[t] = depth
    return out


def read_text_file(path: str | Path) -> str:
    path = Path(path).expanduser()
    raw = path.read_bytes()  # FileNotFoundError -> the CLI's "no such file"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    text = clean_text(text)
    if len(text) < 2000:
        raise GatevizError(f"{path} holds only {len(text)} characters; a character model needs at least 2000 "
                           "(a few pages of text)")
    return text


class TextTask(Task):
    name = "text"
    title = "Character-level language model"
    description = ("A character model predicts the next character at every step (Karpathy's char-rnn). The "
                   "default corpus is Python's own standard library source, so cells that track quotes, "
                   "indentation and brackets can emerge.")
    predicts_next_step = True
    head_on = "every_step"
    head_activation = "softmax"
    loss = "ce"
    metric = "bits_below_unigram"
    metric_label = "bits/char below unigram"
    metric_goal = "max"
    quality_bar = 1.0
    defaults = {"units": 128, "epochs": 2, "lr": 2e-2, "batch_size": 32}

    def __init__(self, path: str | None = None, vocab: list[str] | None = None, seq_len: int = 100,
                 stored_samples: list[str] | None = None, corpus: str | None = None):
        self.path = None if path is None else str(Path(path).expanduser())
        self.seq_len = int(seq_len)
        # passages stored in a model file (its samples on a machine without the corpus); anything
        # but a list of strings is ignored, it came from a file
        self._stored = ([t for t in stored_samples if isinstance(t, str) and t]
                        if isinstance(stored_samples, list) else None)
        if vocab is not None and not (isinstance(vocab, list) and all(isinstance(c, str) for c in vocab)):
            raise GatevizError("the text task's vocabulary must be a list of characters")
        self._vocab = None if vocab is None else list(vocab)
        self._text: str | None = None
        self._corpus_kind = corpus or ("file" if path else "stdlib")
        if self._corpus_kind not in ("stdlib", "file"):
            raise GatevizError(f"unknown text corpus {self._corpus_kind!r}; use 'stdlib' or 'file'")

    # ---- corpus ----------------------------------------------------------
    def text(self) -> str:
        if self._text is None:
            if self._corpus_kind == "stdlib":
                self._text = stdlib_corpus()
            elif self.path is None or not Path(self.path).is_file():
                raise GatevizError("this text model was trained on a file that is not available here "
                                   f"({self.path or 'no file given'}); give the file to evaluate it")
            else:
                self._text = read_text_file(self.path)
        return self._text

    @property
    def vocab(self) -> list[str]:
        if self._vocab is None:
            if self._corpus_kind == "stdlib":
                self._vocab = list(ASCII_VOCAB)
            else:
                counts = Counter(self.text())
                self._vocab = sorted(ch for ch, _ in counts.most_common(MAX_VOCAB))
        return self._vocab

    def tokens(self) -> tuple[np.ndarray, np.ndarray]:
        """The corpus as token ids, split into (train, held_out); characters outside the vocabulary dropped."""
        index = {ch: i for i, ch in enumerate(self.vocab)}
        ids = np.fromiter((index[ch] for ch in self.text() if ch in index), dtype=np.int64)
        split = int(len(ids) * (1 - HELD_OUT_FRACTION))
        return ids[:split], ids[split:]

    def options(self) -> dict[str, Any]:
        opts: dict[str, Any] = {"name": self.name, "corpus": self._corpus_kind, "seq_len": self.seq_len}
        if self._corpus_kind == "file":
            opts["path"] = self.path
            opts["stored_samples"] = [s.sequence for s in self.samples()]
        return opts

    def input_stage(self) -> InputStage:
        return InputStage(kind="onehot", features=len(self.vocab), vocab=list(self.vocab))

    @property
    def output_size(self) -> int:
        return len(self.vocab)

    def output_labels(self) -> list[str]:
        return list(self.vocab)

    def training_data(self, seed: int):
        train, _ = self.tokens()
        L = self.seq_len
        if len(train) < L + 2:
            raise GatevizError(f"the text is too short for sequences of {L} characters")

        def make_batch(rng: np.random.Generator, n: int) -> Batch:
            starts = rng.integers(0, len(train) - L - 1, size=n)
            chunk = train[starts[:, None] + np.arange(L + 1)[None, :]]  # (n, L+1)
            return Batch(chunk[:, :-1], chunk[:, 1:])  # next character at every step

        return generated_dataset(make_batch, examples_per_epoch=max(1, len(train) // L))

    # ---- samples -----------------------------------------------------------
    def samples(self) -> list[Sample]:
        allowed = set(self._vocab or []) if self.path is None and self._corpus_kind == "file" else set(self.vocab)
        if self._corpus_kind == "stdlib":
            return [Sample(n, d, t) for n, d, t in SAMPLE_TEXTS if set(t) <= allowed]
        if self.path is None:
            # rebuilt from a model file (which never names a file to read): its stored passages, the
            # ones its vocabulary can encode, or none
            return [Sample(f"held-out passage {k + 1}", "300 characters from the held-out part of the text", t)
                    for k, t in enumerate(self._stored or []) if self._vocab is not None and set(t) <= allowed]
        if self._stored and not Path(self.path).is_file():
            texts = list(self._stored)
        else:
            _, held = self.tokens()
            text = "".join(self.vocab[i] for i in held)
            n = 3
            texts = [text[k * len(text) // n: k * len(text) // n + 300] for k in range(n)]
        return [Sample(f"held-out passage {k + 1}", "300 characters from the held-out part of the text", t)
                for k, t in enumerate(texts) if t]

    # ---- model output --------------------------------------------------------
    def decode(self, sequence, trace, model: RecurrentModel | None = None) -> dict[str, Any]:
        vocab = model.input.vocab if model is not None and model.input.vocab else self.vocab
        text = sequence if isinstance(sequence, str) else "".join(vocab[int(t)] for t in np.asarray(sequence))
        result: dict[str, Any] = {"chars": list(text), "vocab": list(vocab), "probabilities": None, "top": None,
                                  "top_probability": None, "surprisal": None}
        if trace.output is not None:
            probs = np.asarray(trace.output)  # (T, V)
            best = np.argmax(probs, axis=1)
            index = {ch: i for i, ch in enumerate(vocab)}
            nxt = np.array([index.get(ch, -1) for ch in text[1:]], dtype=np.int64)
            p_next = np.where(nxt >= 0, probs[np.arange(len(nxt)), np.maximum(nxt, 0)], np.nan)
            result.update(probabilities=probs, top=[vocab[i] for i in best],
                          top_probability=probs[np.arange(len(best)), best],
                          surprisal=-np.log2(np.maximum(p_next, 1e-12)))
        return result

    def story_units(self, sequence, trace, model: RecurrentModel | None = None, *, layer: int = 0,
                    direction: str = "forward", count: int = 2) -> list[int]:
        """A bracket-counting unit when the model grew one (its c, or h of a GRU, follows how many
        brackets are open: |r| >= 0.6 on this text), then the units whose h varies most."""
        chosen: list[int] = []
        if isinstance(sequence, str) and len(sequence) == trace.length:
            depth = bracket_depth(sequence)
            if np.ptp(depth) > 0:
                r = np.abs(unit_correlations(memory_state(trace, layer, direction), depth))
                best = int(np.argmax(r))
                if r[best] >= 0.6:
                    chosen.append(best)
        rest = super().story_units(sequence, trace, model, layer=layer, direction=direction, count=count + 1)
        return (chosen + [u for u in rest if u not in chosen])[:count]

    def evaluate(self, model: RecurrentModel) -> dict[str, float]:
        self.check_model(model)
        if model.input.vocab is not None and list(model.input.vocab) != list(self.vocab):
            raise GatevizError("the model's vocabulary differs from this text task's; build the task with "
                               "get_task_for_model(model)")
        train, held = self.tokens()
        V = len(self.vocab)
        held = held[:EVAL_CHARS]
        n = len(held) // EVAL_CHUNK
        if n == 0:
            raise GatevizError("the held-out text is too short to evaluate on")
        chunks = held[: n * EVAL_CHUNK].reshape(n, EVAL_CHUNK)  # (n, L)
        probs = trace_outputs(model, chunks, chunk=64)  # (n, L, V)
        p = np.take_along_axis(probs[:, :-1, :], chunks[:, 1:, None], axis=2)[..., 0]  # (n, L-1)
        bits = float(np.mean(-np.log2(np.maximum(p, 1e-12))))
        counts = np.bincount(train, minlength=V).astype(np.float64) + 1.0  # add-one smoothing
        unigram = counts / counts.sum()
        base = float(np.mean(-np.log2(unigram[chunks[:, 1:]])))
        return {"bits_per_char": bits, "unigram_bits_per_char": base, "bits_below_unigram": base - bits}

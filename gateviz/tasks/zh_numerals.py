"""Chinese text written for gateviz: sums and dates in Chinese numerals, one per line.

The bundled Chinese character models (``text-zh-*``) learn this text; it is generated here
from a seed, so the project ships no text copied from anywhere. Its structure is worth watching
in a character model's units: 十 follows a tens digit, 百 a hundreds digit, 零 fills a gap
(一百零五), 等于 opens the answer and 。 plus a line break close every line; a date spells its
year digit by digit with 〇 (二〇二六年) but its month and day as numbers (十一月二十八日).

    chinese_number(105)        # '一百零五'
    sum_line(35, 12)           # '三十五加十二等于四十七。'
    date_line(2026, 11, 28)    # '二〇二六年十一月二十八日。'
    corpus(seed=0, chars=200_000)
"""

from __future__ import annotations

import numpy as np

DIGITS = "零一二三四五六七八九"
YEAR_DIGITS = "〇一二三四五六七八九"  # a year is read digit by digit, zero written 〇
UNITS = ("", "十", "百", "千")
PLUS, EQUALS, STOP = "加", "等于", "。"
# every character the generator writes, in a fixed order (the model's vocabulary)
ALPHABET = sorted(set(DIGITS + YEAR_DIGITS + "".join(UNITS) + PLUS + EQUALS + STOP + "年月日\n"))
DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
SUM_SHARE = 0.75  # the rest of the lines are dates


def chinese_number(n: int) -> str:
    """0..9999 in Chinese numerals as they are written: 十 (not 一十) for 10..19, 一百一十 for 110,
    one 零 for each run of missing digits inside the number (一千零五, 一千零五十, 一百零五)."""
    if not 0 <= n <= 9999 or int(n) != n:
        raise ValueError(f"chinese_number covers whole numbers 0..9999, not {n!r}")
    n = int(n)
    if n == 0:
        return DIGITS[0]
    digits = [int(d) for d in str(n)]  # most significant first
    out, gap = [], False
    for place, d in zip(range(len(digits) - 1, -1, -1), digits):
        if d == 0:
            gap = True  # written as one 零 when a non-zero digit follows
            continue
        if gap and out:
            out.append(DIGITS[0])
        gap = False
        out.append(DIGITS[d] + UNITS[place])
    text = "".join(out)
    return text[1:] if 10 <= n <= 19 else text  # 十五, not 一十五 (but 一百一十五)


def sum_line(a: int, b: int) -> str:
    """'三十五加十二等于四十七。'"""
    return f"{chinese_number(a)}{PLUS}{chinese_number(b)}{EQUALS}{chinese_number(a + b)}{STOP}"


def date_line(year: int, month: int, day: int) -> str:
    """'二〇二六年十一月二十八日。': the year digit by digit, month and day as numbers."""
    year_text = "".join(YEAR_DIGITS[int(d)] for d in f"{year:04d}")
    return f"{year_text}年{chinese_number(month)}月{chinese_number(day)}日{STOP}"


def corpus(seed: int = 0, chars: int = 200_000, max_operand: int = 99) -> str:
    """Lines of sums (operands 0..max_operand) and dates (years 1900..2099) until ``chars``
    characters; the same seed gives the same text on every machine (numpy's PCG64)."""
    rng = np.random.default_rng(seed)
    lines, size = [], 0
    while size < chars:
        if rng.random() < SUM_SHARE:
            a, b = (int(v) for v in rng.integers(0, max_operand + 1, size=2))
            line = sum_line(a, b)
        else:
            year, month = int(rng.integers(1900, 2100)), int(rng.integers(1, 13))
            leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
            days = DAYS_IN_MONTH[month - 1] + (1 if month == 2 and leap else 0)
            line = date_line(year, month, int(rng.integers(1, days + 1)))
        lines.append(line + "\n")
        size += len(line) + 1
    return "".join(lines)


def answer_mask(text: str) -> np.ndarray:
    """(T,) 1.0 at the steps that read the answer of a sum — from 等于's 于 (whose next character is
    the answer's first) to the answer's last character —, else 0.0."""
    out = np.zeros(len(text), dtype=np.float32)
    inside = False
    for t, ch in enumerate(text):
        if ch == EQUALS[-1] and t > 0 and text[t - 1] == EQUALS[0]:
            inside = True
        elif ch in (STOP, "\n"):
            inside = False
        out[t] = inside
    return out

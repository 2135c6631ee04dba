"""A GIF written frame by frame, in constant memory (issue 17).

Pillow's and imageio's GIF writers keep every frame until the file is closed (≈2 MB a frame:
a 1000-frame export held 2.45 GB). This writer puts each frame into the file as it comes:
it quantises the frame to its own 256-colour palette with Pillow, keeps only the rectangle
that changed since the previous frame (an animation's frames differ mostly by a cursor: files
stay small, as Pillow's own writer makes them), encodes that rectangle as a one-frame GIF with
Pillow, and copies its image block into the stream with the palette as a local colour table.
It holds one previous frame (RGB) and nothing else.

Qt-free (numpy and Pillow).
"""

from __future__ import annotations

import io
import struct

import numpy as np
from PIL import Image


class GifStream:
    """``add(rgb)`` for each (H, W, 3) uint8 frame, then ``close()``; ``delay_cs``: each frame's
    display time in 1/100 s; the animation loops forever."""

    def __init__(self, fh, size: tuple[int, int], delay_cs: int):
        self._fh = fh
        self.width, self.height = size
        self._delay = max(2, int(delay_cs))
        self._previous: np.ndarray | None = None
        self.frames = 0
        # header, logical screen (no global colour table), NETSCAPE2.0 loop-forever extension
        fh.write(b"GIF89a" + struct.pack("<HHBBB", self.width, self.height, 0, 0, 0))
        fh.write(b"\x21\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", 0) + b"\x00")

    def add(self, rgb: np.ndarray) -> None:
        if rgb.shape != (self.height, self.width, 3):
            raise ValueError(f"a frame of {rgb.shape[1]}x{rgb.shape[0]}; this GIF is {self.width}x{self.height}")
        left, top, right, bottom = 0, 0, self.width, self.height
        if self._previous is not None:
            changed = (rgb != self._previous).any(axis=2)  # (H, W)
            rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
            if rows.size == 0:  # the same picture: one pixel, so the frame still takes its time
                rows, cols = np.array([0]), np.array([0])
            top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        crop = np.ascontiguousarray(rgb[top:bottom, left:right])
        self._previous = rgb.copy()
        palette_image = Image.fromarray(crop, "RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                                               dither=Image.Dither.NONE)
        self._write_block(palette_image, left, top)
        self.frames += 1

    def _write_block(self, image: Image.Image, left: int, top: int) -> None:
        """Encode ``image`` (mode P) as a one-frame GIF and copy its image into the stream."""
        buf = io.BytesIO()
        image.save(buf, format="GIF", optimize=False, interlace=False)
        data = buf.getvalue()
        flags = data[10]
        if not flags & 0x80:
            raise ValueError("Pillow wrote a GIF without a colour table")
        table_bits = flags & 0x07
        table = data[13:13 + 3 * (2 << table_bits)]
        pos = 13 + len(table)
        while data[pos] == 0x21:  # skip Pillow's extensions up to the image descriptor
            pos += 2
            while data[pos]:
                pos += data[pos] + 1
            pos += 1
        if data[pos] != 0x2C:
            raise ValueError("no image in Pillow's GIF")
        width, height = struct.unpack("<HH", data[pos + 5:pos + 9])
        image_flags = data[pos + 9]
        body = data[pos + 10:data.rindex(b"\x3b")]  # LZW code size + data sub-blocks, up to the trailer
        if image_flags & 0x80:  # Pillow wrote a local table after all: use it
            local = 3 * (2 << (image_flags & 0x07))
            table, body, table_bits = body[:local], body[local:], image_flags & 0x07
        # graphic control: keep what was drawn (disposal 1), this frame's delay; then the image at
        # (left, top) with its palette as the local colour table
        self._fh.write(b"\x21\xf9\x04" + bytes([0x04]) + struct.pack("<H", self._delay) + b"\x00\x00")
        interlaced = image_flags & 0x40  # kept as Pillow wrote the rows (interlace=False asks for none)
        self._fh.write(b"\x2c" + struct.pack("<HHHH", left, top, width, height) + bytes([0x80 | interlaced | table_bits]))
        self._fh.write(table)
        self._fh.write(body)

    def close(self) -> None:
        self._fh.write(b"\x3b")
        self._previous = None

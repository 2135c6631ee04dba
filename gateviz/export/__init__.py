"""Export for lectures: figures, animations and data.

    data       Qt-free: the trace as the trace file (.npz) or a tidy .csv
    files      Qt-free: never overwrite a user's file; write through a temporary sibling
    figure     a widget -> PNG (pixel size or DPI), SVG (vector), PDF, clipboard   (imports Qt)
    animation  a range of steps of a widget -> GIF or MP4 (H.264)                   (imports Qt)
    headless   a ViewState and panels built offscreen, for the CLI and the app      (imports Qt)

Only ``data`` and ``files`` may be imported without Qt; import the others lazily.
"""

FIGURE_FORMATS = ("png", "svg", "pdf")
ANIMATION_FORMATS = ("gif", "mp4")
DATA_FORMATS = ("npz", "csv")
ALL_FORMATS = FIGURE_FORMATS + ANIMATION_FORMATS + DATA_FORMATS

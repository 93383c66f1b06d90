"""What every figure of scratch.plots (and scratch.diagrams) shares: its construction and its saving.

Every figure is a ``matplotlib.figure.Figure`` (no pyplot, no global state, works on a server
without a display), written, when a path is given, as a PNG of ``figsize × DPI`` pixels.
"""

from scratch._files import write_atomically

DPI = 100  # pixels per inch of the saved PNGs: a (6, 4) inch figure is 600 × 400 pixels


def new_figure(width, height, margins=None):
    """A figure laid out by matplotlib's constrained layout, or with fixed ``margins`` (left, bottom, right,
    top, gap between columns; inches), which saves that layout's ≈ 0.1 s per figure where the text is known."""
    from matplotlib.figure import Figure  # here, not at the top: importing scratch costs no matplotlib

    if margins is None:
        return Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    fig = Figure(figsize=(width, height), dpi=DPI)
    left, bottom, right, top, gap = margins
    fig.subplots_adjust(left=left / width, bottom=bottom / height, right=1 - right / width, top=1 - top / height,
                        wspace=gap / ((width - left - right - gap) / 2))
    return fig


def _text_inches(names):
    """About how wide the longest of ``names`` is, in inches at 10 points (0.6 em per character)."""
    return 0.6 * 10 / 72 * max(len(name) for name in names)


def save_figure(fig, path):
    """Write ``fig`` as a PNG when a path is given (atomically: a failed write leaves the old file); return it."""
    if path is not None:
        write_atomically(path, lambda file: fig.savefig(file, format="png", dpi=DPI))
    return fig

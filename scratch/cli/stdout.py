"""Standard output that outlives its reader: a command finishes its work (and saves its run) when
stdout is closed or its pipe is, as in ``scratch train … | head -1``.

What is printed after the reader has gone is dropped; the exit status stays the command's own.
"""

import contextlib
import io
import os
import sys


class _Outliving(io.TextIOBase):
    """Writes to ``stream`` until it breaks (or from the start, when there is none), then drops the text."""

    def __init__(self, stream):
        super().__init__()
        self._stream = stream

    def writable(self):
        return True

    def write(self, text):
        self._attempt(lambda: self._stream.write(text))
        return len(text)

    def flush(self):
        self._attempt(lambda: self._stream.flush())

    def _attempt(self, action):
        if self._stream is None:
            return
        try:
            action()
        except (BrokenPipeError, ValueError):  # the reader has gone, or the stream was closed
            with contextlib.suppress(OSError, ValueError):  # Python's own flush at exit must not fail again
                os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())
            self._stream = None


@contextlib.contextmanager
def outliving_stdout():
    """Within the block, ``sys.stdout`` drops what its reader can no longer take instead of raising."""
    original = sys.stdout
    sys.stdout = _Outliving(original)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stdout = original

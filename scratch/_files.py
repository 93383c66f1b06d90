"""Files: one way to write them (atomically and durably), one error for a file whose content is wrong.

``write_atomically(path, write)`` calls ``write(file)`` on a new temporary file beside the
target, flushes and fsyncs it, renames it over the target (``os.replace``: a reader sees the
old file or the new one, never half of one) and fsyncs the directory so the rename survives
a crash. Only a regular file (or nothing) may stand at the target; a symlink is followed,
so the file it names is replaced and the link stays valid.
"""

import contextlib
import errno
import math
import os
import secrets
import stat


class FileContentError(ValueError):
    """A file that exists but whose content is damaged, truncated or not what it should be (a model,
    a run record, a data file): a failure (the command line's exit status 1), not a usage error."""


NOT_REGULAR = "it is not a regular file (a directory, device or FIFO)"


def open_regular_file(path, not_regular):
    """``path`` opened for binary reading — never blocking on a FIFO — and its size in bytes.

    A directory, device or FIFO raises ``not_regular(path)`` (an exception) instead.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block the open
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise not_regular(os.fspath(path))
    return os.fdopen(fd, "rb"), info.st_size


def read_npy_header(file):
    """(shape, dtype, bytes of data it claims) from the .npy header at the start of ``file``, read with
    NumPy's own header readers, nothing allocated; ValueError for a format other than 1.0 or 2.0
    (3.0 only serves field names beyond latin-1, never an array of numbers) or a damaged header."""
    import numpy.lib.format as npy  # here: the command line's --help imports this module, not NumPy

    version = npy.read_magic(file)
    if version not in ((1, 0), (2, 0)):
        raise ValueError(f".npy format version {version[0]}.{version[1]} is not read here")
    read_header = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
    shape, _, dtype = read_header(file)
    return shape, dtype, math.prod(shape) * dtype.itemsize


def write_atomically(path, write):
    """Write ``path`` through ``write(file)`` (a binary file object), atomically; returns the path written."""
    target = os.path.realpath(os.fspath(path))
    _check_replaceable(target, os.fspath(path))
    directory = os.path.dirname(target)
    temporary = os.path.join(directory, f".{secrets.token_hex(6)}.tmp")  # short: fits beside any legal name
    try:
        with open(temporary, "xb") as file:  # exclusive: never clobbers; mode follows the umask
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        if isinstance(exc, OSError) and exc.filename == temporary:  # name the user's path, not the hidden file
            raise type(exc)(exc.errno, exc.strerror, os.fspath(path)) from None
        raise
    fsync_directory(directory)
    return target


def _check_replaceable(target, shown):
    """Refuse a directory, device, FIFO or socket at the target: only regular files are replaced."""
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory; give a file name inside it", shown)
    if not stat.S_ISREG(mode):
        raise FileExistsError(errno.EEXIST, "is not a regular file (a device, FIFO or socket); refusing to replace it", shown)


def fsync_directory(directory):
    """Make renames in ``directory`` durable (POSIX); a no-op where directories cannot be opened."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""Applying a BLAS thread count: through threadpoolctl when it is installed (``pip install
scratch[threads]``), else through OpenBLAS's own ``*_set_num_threads*`` found in the library NumPy
loaded (ctypes); with neither (another BLAS, no ctypes symbol) nothing is changed. The count before
returns after. How many threads to use is ``scratch.threads``' choice.
"""

import contextlib
import ctypes
from pathlib import Path


@contextlib.contextmanager
def limit_blas(n):
    """Within the block, BLAS products use ``n`` threads (None: unchanged); the previous count returns after."""
    if n is None:
        yield
        return
    with blas_setter() as set_threads:
        set_threads(n)
        yield


@contextlib.contextmanager
def blas_setter():
    """A function that sets the BLAS thread count (threadpoolctl, else OpenBLAS through ctypes, else
    nothing); the count before returns on exit."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        functions = openblas_thread_functions()
        if functions is None:  # another BLAS (MKL, Accelerate) or no OpenBLAS symbol: left as it is
            yield lambda n: None
            return
        get, set_ = functions
        previous = get()
        try:
            yield set_
        finally:
            set_(previous)
        return
    controller, limiters = ThreadpoolController(), []
    try:
        yield lambda n: limiters.append(controller.limit(limits=n, user_api="blas"))
    finally:
        if limiters:
            limiters[0].restore_original_limits()  # the first one holds the counts from before


_SYMBOL_PREFIXES = ("openblas", "scipy_openblas")  # plain OpenBLAS; the scipy-openblas NumPy's wheels ship
_SYMBOL_SUFFIXES = ("", "64_", "_64")  # OpenBLAS's 64-bit-integer builds rename their symbols


def openblas_thread_functions(paths=None):
    """(get_num_threads, set_num_threads) of the OpenBLAS NumPy loaded, through ctypes, or None.

    paths: candidate library files; None looks for "openblas" in this process's memory maps
    (Linux) and in NumPy's bundled-library folders (numpy.libs, numpy/.dylibs).
    """
    for path in openblas_paths() if paths is None else paths:
        try:
            library = ctypes.CDLL(str(path))  # already loaded: the same handle, no second copy
        except OSError:
            continue
        for prefix in _SYMBOL_PREFIXES:
            for suffix in _SYMBOL_SUFFIXES:
                get = getattr(library, f"{prefix}_get_num_threads{suffix}", None)
                set_ = getattr(library, f"{prefix}_set_num_threads{suffix}", None)
                if get is not None and set_ is not None:
                    get.restype, set_.argtypes, set_.restype = ctypes.c_int, [ctypes.c_int], None
                    return get, set_
    return None


def openblas_paths():
    """Files of OpenBLAS libraries: the one NumPy bundles first (its products are the ones to limit;
    SciPy may load a copy of its own), then those this process has loaded."""
    import numpy

    here = Path(numpy.__file__).parent
    found = [str(p) for folder in (here.parent / "numpy.libs", here / ".dylibs") for p in sorted(folder.glob("*openblas*"))]
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/maps").read_text().splitlines():
            path = line.split(maxsplit=5)[-1] if line.count(" ") >= 5 else ""
            if "openblas" in Path(path).name.lower() and path not in found:
                found.append(path)
    return found

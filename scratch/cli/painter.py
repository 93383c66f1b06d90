"""A run's figures drawn beside its training: a second process, forked before the data loads,
imports matplotlib while the model trains, draws the history while the final model is refitted,
then the test figures once that model is sent to it, in two processes (drawing is CPU-bound: two
CPUs draw two figures at once).

On two or more available CPUs this takes matplotlib's import (≈ 1 s), the history figure and half
of the test figures off the wall time of ``scratch train``; forked early, the painter shares
little of this process's memory, so this process's writes copy no pages of it. With one CPU (or no
``fork``) the same functions draw in this process. Either way the figures land in the run's
folder before it is moved into place, and an error in drawing (a full disk, Ctrl-C) is raised
here, in the command.

warm_up() prepares (imports); draw_history(*args) draws and returns [path]; final_figures(*args,
model, predictions) returns the figures still to draw as [(path, draw)], ``draw(path)`` writing one.
"""

import contextlib
import multiprocessing
import signal

from scratch.threads import available_cpus


def painter(warm_up, draw_history, final_figures):
    """A painter: ``start(*args)`` draws the history, ``send(model, predictions)`` the test figures,
    ``paths()`` waits for them, ``close()`` ends it. A second process when it can run beside this one
    (it warms up and draws while this one trains, scores and saves), else this process."""
    if available_cpus() >= 2 and "fork" in multiprocessing.get_all_start_methods():
        return _ProcessPainter(warm_up, draw_history, final_figures)
    return _InlinePainter(draw_history, final_figures)


class _InlinePainter:
    def __init__(self, draw_history, final_figures):
        self.draw_history, self.final_figures = draw_history, final_figures

    def start(self, *args):
        self.args, self.drawn = args, self.draw_history(*args)

    def send(self, model, predictions):
        self.final = (model, predictions)

    def paths(self):
        """The paths of every figure drawn, the history's first."""
        jobs = self.final_figures(*self.args, *self.final)
        return self.drawn + [_draw(job) for job in jobs]

    def close(self):
        pass


class _Forked:
    """``target(connection, *args)`` in a forked process (it shares this one's arrays, copied on write),
    which reports ("ok", value) or ("error", exception) through ``connection``: ``result()`` returns the
    value or raises the exception, here."""

    def __init__(self, target, *args):
        context = multiprocessing.get_context("fork")
        self.connection, child_end = context.Pipe()
        # not a daemon: a daemon may not fork; the child ends at close(), or at EOF if this process dies
        self.process = context.Process(target=_reporting, args=(child_end, target, args))
        self.process.start()
        child_end.close()

    def result(self):
        try:
            status, value = self.connection.recv()
        except EOFError:
            raise OSError(f"the process drawing the figures ended with exit code {self._join()}") from None
        self._join()
        if status == "error":
            raise value
        return value

    def close(self):
        if self.process.is_alive():
            self.process.terminate()
        self._join()
        self.connection.close()

    def _join(self):
        self.process.join()
        return self.process.exitcode


def _reporting(connection, target, args):
    """In the child: ("ok", target(connection, *args)) or ("error", its exception) through ``connection``.

    ``close()`` terminates a child with SIGTERM: it unwinds (SystemExit), so a child's own children are
    closed too; a parent already gone is told nothing.
    """
    signal.signal(signal.SIGTERM, _unwind)
    try:
        connection.send(("ok", target(connection, *args)))
    except BaseException as exc:  # Ctrl-C and a full disk alike are the parent's to report
        try:
            connection.send(("error", exc))
        except OSError:  # the parent closed its end
            pass
        except Exception:  # an exception that does not pickle: its text
            with contextlib.suppress(OSError):
                connection.send(("error", OSError(f"drawing the figures: {type(exc).__name__}: {exc}")))
    finally:
        connection.close()


def _unwind(signum, frame):
    raise SystemExit(128 + signum)


class _ProcessPainter:
    def __init__(self, warm_up, draw_history, final_figures):
        self.child = _Forked(_paint, warm_up, draw_history, final_figures)

    def start(self, *args):
        """The history figure's arguments (pickled: keep them small), drawn while this process goes on."""
        self._send(args)

    def send(self, model, predictions):
        """The final model to the child, which draws the test figures while this process goes on."""
        self._send((model, predictions))

    def _send(self, message):
        try:
            self.child.connection.send(message)
        except OSError:  # the child has stopped already: its report waits in the pipe
            pass

    def paths(self):
        """Wait for the child's figures: their paths, the history's first. Its error, if any, is raised here."""
        return self.child.result()

    def close(self):
        self.child.close()


def _paint(connection, warm_up, draw_history, final_figures):
    """In the child: warm up; the history once its arguments arrive; once the model arrives, the first
    test figure (the confusion matrix, the costliest) here and the others in a process forked for them.
    Returns every path, the history's first."""
    warm_up()
    args = connection.recv()
    paths = draw_history(*args)
    model, predictions = connection.recv()
    jobs = final_figures(*args, model, predictions)
    beside = [_Forked(_draw_all, jobs[1:])] if len(jobs) > 1 else []
    try:
        return paths + _draw_all(None, jobs[:1]) + [path for child in beside for path in child.result()]
    finally:
        for child in beside:
            child.close()


def _draw(job):
    """Draw one (path, draw) figure; its path."""
    path, draw = job
    draw(path)
    return path


def _draw_all(connection, jobs):
    """Draw each (path, draw) figure in turn; their paths."""
    return [_draw(job) for job in jobs]

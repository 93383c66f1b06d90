"""A run's figures drawn beside its training: a second process imports matplotlib and draws the
history while the final model is refitted, then the test figures once the model is sent to it.

On two or more available CPUs this takes matplotlib's import (≈ 1 s) and the history figure off
the wall time of ``scratch train``; with one CPU (or no ``fork``) the same functions draw in this
process after training. Either way the figures land in the run's folder before it is moved into
place, and an error in drawing (a full disk, Ctrl-C) is raised here, in the command.
"""

import multiprocessing

from scratch.threads import available_cpus


def painter(draw_history, draw_tests, *args):
    """A painter drawing ``draw_history(*args)`` now and ``draw_tests(*args, model, predictions)`` once
    ``send`` gives it the final model; ``paths()`` waits for them. A second process when it can run
    beside this one (drawing while this one scores and saves), else this process (in ``paths()``)."""
    if available_cpus() >= 2 and "fork" in multiprocessing.get_all_start_methods():
        return _ProcessPainter(draw_history, draw_tests, args)
    return _InlinePainter(draw_history, draw_tests, args)


class _InlinePainter:
    def __init__(self, draw_history, draw_tests, args):
        self.draw_tests, self.args = draw_tests, args
        self.drawn = draw_history(*args)

    def send(self, model, predictions):
        self.final = (model, predictions)

    def paths(self):
        """The paths of every figure drawn, the history's first."""
        return self.drawn + self.draw_tests(*self.args, *self.final)

    def close(self):
        pass


class _ProcessPainter:
    def __init__(self, draw_history, draw_tests, args):
        context = multiprocessing.get_context("fork")  # the child shares the task's arrays, copied on write
        self.connection, child_end = context.Pipe()
        self.process = context.Process(target=_paint, args=(child_end, draw_history, draw_tests, args), daemon=True)
        self.process.start()
        child_end.close()

    def send(self, model, predictions):
        """The final model to the child, which draws the test figures while this process goes on."""
        try:
            self.connection.send((model, predictions))
        except OSError:  # the child has stopped already: its report waits in the pipe
            pass

    def paths(self):
        """Wait for the child's figures: their paths, the history's first. Its error, if any, is raised here."""
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


def _paint(connection, draw_history, draw_tests, args):
    """In the child: the history now, the test figures when the model arrives; ("ok", paths) or ("error", exc)."""
    try:
        paths = draw_history(*args)
        model, predictions = connection.recv()
        connection.send(("ok", paths + draw_tests(*args, model, predictions)))
    except BaseException as exc:  # Ctrl-C and a full disk alike are the parent's to report
        try:
            connection.send(("error", exc))
        except Exception:  # an exception that does not pickle: its text
            connection.send(("error", OSError(f"drawing the figures: {type(exc).__name__}: {exc}")))
    finally:
        connection.close()

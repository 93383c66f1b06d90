"""``scratch show FIGURE``: the lecture's figures as PNG files, drawn by scratch.diagrams.

    graph     slide 9's graph, z = 3x² + 2 at x = 2, with the values and gradients of its nodes
    network   a Sequential built from a layer list (default: slide 40's 784 → 10 softmax)
    curves    the sigmoid (slide 16's two scores marked) and the softmax (slide 17's model)
    samples   training images of each class of an image set, no training involved
"""

from scratch import datasets, diagrams
from scratch.cli.slides.numbers import LOGISTIC, SOFTMAX, slide_9_tape
from scratch.cli.tasks import parse_sequential


def slide_9_graph(path):
    """y = x², z = 3y + 2 at x = 2, after z.backward() (y and z keep their gradients)."""
    x, y, z = slide_9_tape()
    return diagrams.draw_graph(z, {"x": x, "y": y, "z": z}, path=path,
                               title="Slide 9: y = x², z = 3y + 2 at x = 2, recorded by scratch.autograd")


def network(path, *, layers="dense,softmax", inputs=784, outputs=10):
    """The Sequential that ``scratch train LAYERS`` would build for ``inputs`` features and ``outputs`` outputs."""
    return diagrams.draw_network(parse_sequential(layers, inputs, outputs, seed=0), path=path)


def curves(path):
    """σ at slide 16's scores z = xθ, and slide 17's two-class softmax with its two samples marked."""
    z = LOGISTIC["X"] @ LOGISTIC["theta"]
    return diagrams.draw_activations(z, SOFTMAX["W"][0], SOFTMAX["b"], SOFTMAX["X"][:, 0], path=path,
                                     title="Slide 16's scores z = xθ through the sigmoid; slide 17's model and samples")


def samples(path, *, data="mnist"):
    """Two training images of each class of ``data`` (an image set; raises DataNotFoundError if absent)."""
    entry = datasets.lookup(data)
    if entry.kind != "images":
        raise ValueError(f"data must be an image set, one of {', '.join(datasets.names('images'))}; "
                         f"got {data!r}, a {entry.kind} table.")
    return diagrams.draw_samples(entry.load(), name=entry.title, path=path)


FIGURES = {"graph": slide_9_graph, "network": network, "curves": curves, "samples": samples}

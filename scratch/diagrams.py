"""The lecture's figures, drawn with matplotlib from scratch's own objects (no graphviz).

    draw_graph(z)            slide 9: the computational graph a Tensor recorded on the autograd tape
    draw_network(net)        slides 18, 21–30, 40: a Sequential's layers as nodes and connections
    draw_activations(…)      slides 15–17, 25–30: the sigmoid and the softmax, the worked numbers marked
    draw_samples(dataset)    slides 38–39: a few images of each class (``plots.show_grid``)

Each builds a ``matplotlib.figure.Figure`` without pyplot, returns it, and with ``path``
also writes it as a PNG of figsize × ``plots.DPI`` pixels that carries the drawing's words and
numbers (``texts``) in its ``scratch:texts`` text chunk: a committed figure can be compared with
what the code draws now, number by number, without comparing how a font was rendered.
"""

import json

import numpy as np

from scratch import numerics, plots
from scratch._files import write_atomically
from scratch.autograd import topological_order

SYMBOLS = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "pow": "^", "matmul": "@", "neg": "−", "sigmoid": "σ",
           "relu": "ReLU", "sum": "Σ", "transpose": "ᵀ", "getitem": "[ ]"}  # other ops print their names
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
RADIUS = 0.34  # of a node, in data units (the axes keep an equal aspect)
GRADIENT_COLOR = "tab:red"
TEXTS_KEY = "scratch:texts"  # the PNG text chunk that holds a drawing's texts, as JSON


def texts(fig):
    """Every text a figure shows, in drawing order: the suptitle, then per axes its title and texts."""
    shown = [fig.get_suptitle()] if fig.get_suptitle() else []
    for ax in fig.axes:
        shown += [ax.get_title(), *(t.get_text() for t in ax.texts)]
    return shown


def _save(fig, path):
    """Write ``fig`` (as plots.save_figure does) with ``texts(fig)`` in the PNG's scratch:texts chunk; return it."""
    if path is not None:
        metadata = {TEXTS_KEY: json.dumps(texts(fig))}
        write_atomically(path, lambda file: fig.savefig(file, format="png", dpi=plots.DPI, metadata=metadata))
    return fig


def _canvas(xlim, ylim, title, scale=1.0):
    """(figure, axes) for a drawing in data units, ``scale`` inches per unit, room above for the title."""
    fig = plots.new_figure(scale * (xlim[1] - xlim[0]), scale * (ylim[1] - ylim[0]) + 0.45)
    ax = fig.subplots()
    ax.set(xlim=xlim, ylim=ylim, aspect="equal", title=title)
    ax.set_axis_off()
    return fig, ax


def _node(ax, xy, text, *, leaf=False, color="white"):
    """A circle (an operation, a neuron) or a rounded box (an input tensor) with ``text`` inside."""
    from matplotlib.patches import Circle, FancyBboxPatch  # imported when drawing: scratch imports no matplotlib

    if leaf:
        ax.add_patch(FancyBboxPatch((xy[0] - RADIUS, xy[1] - RADIUS * 0.8), 2 * RADIUS, 1.6 * RADIUS,
                                    boxstyle="round,pad=0.05", fc="#e8f0fb", ec="black"))
    else:
        ax.add_patch(Circle(xy, RADIUS, fc=color, ec="black"))
    ax.text(*xy, text, ha="center", va="center", fontsize=11 if len(text) <= 3 else 9 if len(text) <= 5 else 7)


def _arrow(ax, start, end, **style):
    """An arrow between two nodes' rims."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    unit = (end - start) / np.linalg.norm(end - start)
    ax.annotate("", xy=end - RADIUS * unit, xytext=start + RADIUS * unit,
                arrowprops=dict(arrowstyle="-|>", color=style.get("color", "black"), lw=style.get("lw", 1.2),
                                shrinkA=0, shrinkB=0))


def _value(data):
    """A scalar as 6 significant digits, an array by its shape."""
    data = np.asarray(data)
    return f"{data.item():.6g}" if data.size == 1 else f"shape {data.shape}"


def draw_graph(output, names=None, *, title=None, path=None):
    """The graph ``output`` was computed by, read from the autograd tape, inputs on the left.

    output: a Tensor computed from tensors with requires_grad=True. names: {name: tensor}
    labels nodes (e.g. {"x": x, "y": y, "z": z}). Each operation is a circle, with its
    constant operands written in (3× for a multiplication by 3); under each node, its value
    and, where ``backward`` left one (leaves, and tensors that called ``retain_grad``), the
    gradient ∂output/∂node in red.
    """
    if not output.requires_grad:
        raise ValueError("draw_graph needs a result computed from a tensor with requires_grad=True; "
                         "nothing was recorded for this one.")
    label = {id(t): name for name, t in (names or {}).items()}
    nodes = [t for t in topological_order(output, constants=True) if t.requires_grad]
    column, rows = {}, {}
    for t in nodes:
        column[id(t)] = 1 + max((column[id(p)] for p in t.parents if p.requires_grad), default=-1)
    for t in reversed(nodes):  # a leaf stands just before its first use, so no arrow crosses a node
        if t.op is None:
            column[id(t)] = min((column[id(c)] for c in nodes if any(p is t for p in c.parents)), default=1) - 1
    for t in sorted(nodes, key=lambda t: t.op is None):  # in each column, the operations above the leaves
        rows.setdefault(column[id(t)], []).append(t)
    height = max(len(members) for members in rows.values())
    position = {id(t): (2.2 * c, -1.9 * r) for c, members in rows.items() for r, t in enumerate(members)}
    fig, ax = _canvas((-1.1, 2.2 * max(rows) + 1.1), (-1.9 * (height - 1) - 1.2, 0.8),
                      title or "Computational graph, from the autograd tape")
    out_name = label.get(id(output), "out")
    for t in nodes:
        xy = position[id(t)]
        _node(ax, xy, _operation(t) if t.op else label.get(id(t), "input"), leaf=t.op is None)
        if t.op and id(t) in label:
            ax.text(xy[0], xy[1] + RADIUS + 0.1, label[id(t)], ha="center", va="bottom", fontweight="bold")
        ax.text(xy[0], xy[1] - RADIUS - 0.12, f"= {_value(t.data)}", ha="center", va="top", fontsize=9)
        if t.grad is not None:
            ax.text(xy[0], xy[1] - RADIUS - 0.48, f"∂{out_name}/∂{label.get(id(t), '·')} = {_value(t.grad)}",
                    ha="center", va="top", fontsize=9, color=GRADIENT_COLOR)
        for parent in t.parents:
            if parent.requires_grad:
                _arrow(ax, position[id(parent)], xy)
    return _save(fig, path)


def _operation(t):
    """The op's symbol with its constant operands: 3× for 3·y, ( )² for y², +2 for y + 2."""
    symbol = SYMBOLS.get(t.op, t.op)
    if len(t.parents) != 2 or all(p.requires_grad for p in t.parents):
        return symbol
    constant = _value(next(p for p in t.parents if not p.requires_grad).data)
    if t.op == "pow" and not t.parents[1].requires_grad:  # a constant exponent: ( )²
        return ("( )" + constant.translate(SUPERSCRIPTS)) if constant.lstrip("-").isdigit() else f"( )^{constant}"
    return f"{constant}{symbol}" if not t.parents[0].requires_grad else f"{symbol}{constant}"


def _layers(net):
    """The layers of a Sequential, nested Sequentials flattened."""
    for layer in getattr(net, "layers", [net]):
        yield from (_layers(layer) if hasattr(layer, "layers") else [layer])


def _shown(n, most=6):
    """Which of n neurons to draw (1-based), None standing for the ⋮ between them."""
    return list(range(1, n + 1)) if n <= most else [*range(1, most - 1), None, n]


def _columns(net):
    """One column of neurons per stage: (symbol, width, caption, the activation that made it or None)."""
    layers = list(_layers(net))
    columns = [("x", net.in_features, f"{net.in_features} inputs", None)]
    for i, layer in enumerate(layers):
        name, width = type(layer).__name__, getattr(layer, "out_features", None)
        if width is not None:
            columns.append(("z", width, f"{name}({layer.in_features}, {width})", None))
        else:
            columns.append(("ŷ" if i == len(layers) - 1 else "h", columns[-1][1], name, name))
    symbol, width, caption, box = columns[-1]
    columns[-1] = (symbol, width, f"{caption}: {width} output{'s' if width > 1 else ''}", box)
    return columns


def draw_network(net, *, title=None, path=None):
    """A Sequential as the slides draw it: inputs x, a bias node 1, every connection of a Linear layer.

    net: a scratch.nn.Sequential (or one layer). A Linear layer adds a column of outputs z
    wired to every input and to the bias node; an activation (ReLU, Sigmoid, Softmax) is a
    box that maps its column to the next one (ŷ after the last layer, h before). Wide layers
    show their first and last neurons with ⋮ between, and say how many there are.
    """
    columns = _columns(net)
    low = -(max(len(_shown(n)) for _, n, _, _ in columns) - 1) / 2 - RADIUS  # the lowest node's rim
    high = max((len(_shown(c[1])) - 1) / 2 + 1.1 * (after[3] is None) for c, after in zip(columns, columns[1:]))
    fig, ax = _canvas((-1.2, 2.6 * (len(columns) - 1) + 1.2), (low - 0.6, high + RADIUS + 0.1),
                      title or _network_title(net), scale=0.8)
    previous = None
    for c, (symbol, n, caption, box) in enumerate(columns):
        x, shown = 2.6 * c, _shown(n)
        top = (len(shown) - 1) / 2
        points = {k: (x, top - r) for r, k in enumerate(shown)}
        for k, xy in points.items():
            if k is None:
                ax.text(*xy, "⋮", ha="center", va="center", fontsize=16)
            else:
                _node(ax, xy, f"{symbol}{str(k).translate(SUBSCRIPTS)}" if n > 1 else symbol, color="#fdf3e1")
        ax.text(x, low - 0.15, caption, ha="center", va="top", fontsize=9)
        if previous is not None:
            _connect(ax, previous, points, box)
        if c + 1 < len(columns) and columns[c + 1][3] is None:  # the bias input of the next Linear layer
            points["bias"] = (x, top + 1.1)
            _node(ax, points["bias"], "1", color="0.9")
        previous = points
    return _save(fig, path)


def _connect(ax, inputs, outputs, box):
    """A Linear layer (box None): every input to every output. An activation: neuron k to k through its box."""
    drawn_out = [(k, xy) for k, xy in outputs.items() if k is not None]
    if box is None:
        for a in (xy for k, xy in inputs.items() if k is not None):
            for _, b in drawn_out:
                _arrow(ax, a, b, color="0.55", lw=0.6)
        return
    from matplotlib.patches import FancyBboxPatch  # imported when drawing (see _node)

    ys = [xy[1] for _, xy in drawn_out]
    middle = (inputs[drawn_out[0][0]][0] + drawn_out[0][1][0]) / 2
    ax.add_patch(FancyBboxPatch((middle - 0.45, min(ys) - 0.4), 0.9, max(ys) - min(ys) + 0.8,
                                boxstyle="round,pad=0.05", fc="#eaf5ea", ec="black"))
    ax.text(middle, (min(ys) + max(ys)) / 2, box, rotation=90, ha="center", va="center", fontsize=10)
    for k, b in drawn_out:
        ax.annotate("", xy=(middle - 0.5, b[1]), xytext=(inputs[k][0] + RADIUS, b[1]),
                    arrowprops=dict(arrowstyle="-", color="0.4"))
        ax.annotate("", xy=(b[0] - RADIUS, b[1]), xytext=(middle + 0.5, b[1]),
                    arrowprops=dict(arrowstyle="-|>", color="0.4"))


def _network_title(net):
    layers = ", ".join(repr(layer).replace("in_features=", "").replace("out_features=", "").replace(", bias=True", "")
                       for layer in _layers(net))
    n_parameters = sum(p.size for p in net.parameters())
    return f"Sequential({layers}): {n_parameters:,} parameters"


def draw_activations(z_points, weight, bias, x_points, *, title=None, path=None):
    """Left, σ(z) with σ at ``z_points`` marked; right, softmax(x·w + b) of a one-feature model.

    weight, bias: (K,) the per-class w and b of a one-feature softmax regression
    (z_k = w_k·x + b_k); x_points: where to mark ŷ_k. The marks carry 6 decimals.
    """
    weight, bias = np.asarray(weight, float), np.asarray(bias, float)
    fig = plots.new_figure(11, 4.2)
    left, right = fig.subplots(1, 2)
    z = np.linspace(-6, 6, 241)
    left.plot(z, numerics.sigmoid(z), color="black", label="σ(z) = 1 / (1 + e⁻ᶻ)")
    left.axhline(0.5, color="0.6", ls="--", lw=0.8)
    for point in np.asarray(z_points, float):
        value = numerics.sigmoid(point)
        left.plot(point, value, "o", color="tab:blue")
        left.annotate(f"σ({point:g}) = {value:.6f}", (point, value), textcoords="offset points", xytext=(-10, 10),
                      ha="right", fontsize=9)
    left.set(xlabel="z", ylabel="σ(z)", title="Sigmoid: a score z to a probability")
    xs = np.concatenate([np.linspace(-12, 14, 261), np.asarray(x_points, float)])
    xs.sort()
    probabilities = numerics.softmax(xs[:, None] * weight + bias, axis=1)
    for k in range(len(weight)):
        sign, k_ = "+" if bias[k] >= 0 else "−", str(k).translate(SUBSCRIPTS)
        line, = right.plot(xs, probabilities[:, k], label=f"ŷ{k_} for z{k_} = {weight[k]:g}·x {sign} {abs(bias[k]):g}")
        for x in np.asarray(x_points, float):
            value = probabilities[np.searchsorted(xs, x), k]
            right.plot(x, value, "o", color=line.get_color())
            right.annotate(f"{value:.6f}", (x, value), textcoords="offset points", xytext=(6, -12 if k else 6),
                           fontsize=9)
    right.set(xlabel="x", ylabel="probability", title="Softmax: one probability per class, summing to 1")
    for ax, place in ((left, "lower right"), (right, "center left")):
        ax.grid(alpha=0.3)
        ax.legend(loc=place, fontsize=9)
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def draw_samples(dataset, *, per_class=2, name="", path=None):
    """The first ``per_class`` training images of each class, one column per class (plots.show_grid).

    dataset: an ImageDataset (X_train (N, H, W) uint8, y_train, class_names).
    """
    names = tuple(dataset.class_names)
    first = [np.flatnonzero(dataset.y_train == k)[:per_class] for k in range(len(names))]
    order = np.array(first).T.ravel()  # row r holds the r-th image of every class
    height, width = dataset.X_train.shape[1:]
    title = f"{name}: {per_class} training images per class, {height} × {width} pixels, 0–255".lstrip(": ")
    return _save(plots.show_grid(np.asarray(dataset.X_train[order]), np.asarray(dataset.y_train[order]),
                                 class_names=names, n_cols=len(names), title=title), path)

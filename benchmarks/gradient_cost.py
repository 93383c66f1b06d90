"""What one softmax-regression gradient costs: closed form vs autograd tape vs finite differences.

    python benchmarks/gradient_cost.py [--quick] [--batch-size 64]

One batch (synthetic, float64, MNIST's shape: 784 features, 10 classes), the gradient of the
mean cross-entropy w.r.t. W and b computed four ways:
  closed   ``SoftmaxRegression.loss_grad``: ∂L/∂W = Xᵀ(softmax(XW + b) − Y)/N
  tape     ``scratch.autograd`` on ``scratch.gradcheck.tape_cross_entropy(X @ W + b, y)``
  numeric  ``scratch.gradcheck.numerical_gradient``: 2·(DK + K) loss evaluations
  torch    ``torch.autograd`` on ``F.cross_entropy`` (when installed)
Each row gives the median seconds, the multiple of the closed form, and the relative error
against the closed form (the methods agree, so the timing compares like with like).
"""

import numpy as np

import _common
from scratch.autograd import Tensor
from scratch.gradcheck import numerical_gradient, relative_error, tape_cross_entropy
from scratch.models import SoftmaxRegression

N_FEATURES, N_CLASSES = 784, 10  # MNIST's softmax regression
BATCH_SIZE = 64  # the reference batch
REPEAT = 50  # repetitions of the fast methods (median)
NUMERIC_REPEAT = 1  # finite differences take seconds: one run
QUICK = {"n_features": 20, "repeat": 3}  # --quick


def problem(n_samples, n_features, n_classes, seed):
    """A float64 model with nn.Linear's init, a batch X (N, D) in [0, 1) and labels y (N,)."""
    rng = np.random.default_rng(seed)
    model = SoftmaxRegression(n_features, n_classes, init="torch", seed=seed)
    return model, rng.random((n_samples, n_features)), rng.integers(0, n_classes, n_samples)


def closed(model, X, y):
    return model.loss_grad(X, y)[1]


def tape(model, X, y):
    leaves = {key: Tensor(value, requires_grad=True) for key, value in model.params.items()}
    tape_cross_entropy(X @ leaves["W"] + leaves["b"], y).backward()
    return {key: leaf.grad for key, leaf in leaves.items()}


def numeric(model, X, y):
    return {key: numerical_gradient(lambda _: model.loss(X, y), param) for key, param in model.params.items()}


def torch_autograd(model, X, y):
    import torch

    W, b = (torch.tensor(model.params[k], requires_grad=True) for k in ("W", "b"))
    torch.nn.functional.cross_entropy(torch.from_numpy(X) @ W + b, torch.from_numpy(y)).backward()
    return {"W": W.grad.numpy(), "b": b.grad.numpy()}


def main(argv=None):
    parser = _common.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    args = parser.parse_args(argv)
    n_features, repeat = (QUICK["n_features"], QUICK["repeat"]) if args.quick else (N_FEATURES, REPEAT)
    model, X, y = problem(args.batch_size, n_features, N_CLASSES, args.seed)
    methods = {"closed": (closed, repeat), "tape": (tape, repeat), "numeric": (numeric, NUMERIC_REPEAT)}
    if _common.optional_import("torch") is not None:
        methods["torch"] = (torch_autograd, repeat)
    reference = closed(model, X, y)
    rows = []
    for name, (method, n_repeat) in methods.items():
        grads = method(model, X, y)  # also the warm-up call
        error = max(relative_error(grads[k], reference[k]) for k in reference)
        seconds = _common.median_seconds(lambda: method(model, X, y), n_repeat)
        rows.append({"method": name, "seconds": seconds, "rel_error_vs_closed": error})
    rows = [{**row, "x_closed": row["seconds"] / rows[0]["seconds"]} for row in rows]
    config = {**vars(args), "n_features": n_features, "n_classes": N_CLASSES, "repeat": repeat,
              "numeric_repeat": NUMERIC_REPEAT, "dtype": "float64"}
    plot(rows, args.out)
    return _common.write_report("gradient_cost", args.out, config, {"one batch gradient": rows})


def plot(rows, out_dir):
    fig, ax = _common.subplots(figsize=(6, 3))
    ax.barh([r["method"] for r in rows], [r["seconds"] for r in rows])
    ax.set(xscale="log", xlabel="seconds per gradient (log)", title="cost of one gradient")
    ax.invert_yaxis()
    return _common.save_figure(fig, out_dir, "gradient_cost")


if __name__ == "__main__":
    main()

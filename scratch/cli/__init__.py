"""The scratch command: reproduce the lecture, train on real data, evaluate, predict, gradcheck.

    scratch slides                          every worked number of the lecture, checked
    scratch show graph --out graph.png      one of the lecture's figures (graph, network, curves, samples)
    scratch train softmax --data mnist      train, report, save the model and its figures (runs/softmax-mnist)
    scratch evaluate runs/softmax-mnist     reload a saved run and score it on its test split
    scratch predict runs/softmax-mnist      predict the first test samples (or --input FILE) with a saved run
    scratch export runs/softmax-mnist       the weights as safetensors, PyTorch's keys and layouts
    scratch gradcheck                       closed form vs autograd vs finite differences

Errors are one line on stderr, "scratch: error: ..."; the exit status is 0 on success,
1 for a failure (a missing or damaged file, a full disk, diverged training, a lecture value
not reproduced), 2 for a usage error and 130 for an interrupt (Ctrl-C).
"""

import argparse
import math
import os
import sys

from scratch._files import FileContentError
from scratch.cli.choices import DATA_NAMES, IMAGE_NAMES, INPUT_HELP, MODEL_NAMES, SCHEDULES, VALIDATION_FRACTION
from scratch.cli.stdout import outliving_stdout

DEFAULT_OUT = "runs/{model}-{data}"
SPLITS_HELP = (
    f"A monitored model is fitted on the training split minus a validation split (a seeded "
    f"{VALIDATION_FRACTION:.0%} held out of it), scored after every epoch; the final, saved model is then "
    "refitted on the whole training split with the same recipe, and the test split is scored once, with it."
)


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors as one line, ``scratch: error: …``, exit status 2."""

    def error(self, message):
        self.exit(2, f"scratch: error: {message} (see '{self.prog} --help')\n")


# NumPy asks the kernel for 2 MB pages (madvise) for every array of ≥ 4 MB. On the 2-vCPU virtual machines
# scratch is measured on, filling such an array took 6 × as long (100 MB: 0.26 s against 0.045 s) and
# `scratch train softmax --data mnist` lost 0.1–0.2 s to it in most runs (benchmarks/end_to_end.py
# measures both), so the command asks for ordinary pages unless the user set NumPy's variable. Python
# code importing scratch is left with NumPy's default.
HUGEPAGE_VARIABLE = "NUMPY_MADVISE_HUGEPAGE"


def main(argv=None):
    """Entry point of the console script; returns the exit status (no traceback for user errors)."""
    if "numpy" not in sys.modules:  # read once, when NumPy is imported
        os.environ.setdefault(HUGEPAGE_VARIABLE, "0")
    try:
        with outliving_stdout():  # `scratch train … | head -1` still trains and saves its run
            args = build_parser().parse_args(argv)
            return args.command(args) or 0
    except SystemExit as exc:  # --help, or a usage error reported by _Parser
        return exc.code
    except KeyboardInterrupt:
        return _fail(130, "interrupted")
    except MemoryError:
        return _fail(1, "not enough memory for this; use fewer or smaller layers, samples or inputs")
    except RecursionError:
        return _fail(1, "input nested too deeply to read")
    except FileContentError as exc:  # a damaged run, model or data file
        return _fail(1, exc)
    except (ValueError, TypeError) as exc:
        return _fail(2, exc)
    except OSError as exc:  # a missing data set or input, a read-only or full disk
        return _fail(1, f"{exc.filename}: {exc.strerror}" if exc.filename and exc.strerror else exc)
    except (ImportError, ArithmeticError) as exc:  # an optional package not installed (safetensors); TrainingDiverged
        return _fail(1, exc)


def _fail(status, message):
    """Report ``message`` as one line on stderr; return ``status``."""
    print("scratch: error:", " ".join(str(message).split()), file=sys.stderr)
    return status


def build_parser():
    parser = _Parser(prog="scratch", description=__doc__.split("\n")[0],
                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n", 1)[1])
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    slides = _command(commands, "slides", run_slides, "reproduce every worked number of the lecture")
    slides.add_argument("--markdown", action="store_true", help="print only the Markdown table")
    slides.add_argument("--section", type=int, choices=range(1, 10), metavar="N", help="only section N of 1–9")

    show = _command(commands, "show", run_show, "draw one of the lecture's figures as a PNG")
    show.add_argument("figure", choices=("graph", "network", "curves", "samples"),
                      help="slide 9's graph, a Sequential, sigmoid and softmax, a data set's images")
    show.add_argument("--data", choices=IMAGE_NAMES, default="mnist", help="samples: the image set")
    show.add_argument("--layers", default="dense,softmax", help="network: layers as for 'scratch train'")
    show.add_argument("--inputs", type=_positive(int), default=784, help="network: input features")
    show.add_argument("--outputs", type=_positive(int), default=10, help="network: outputs of the last layer")
    show.add_argument("--out", help="PNG file to write (default: FIGURE.png, samples-DATA.png)")

    train = _command(commands, "train", run_train, "train a model on a data set, save it and its figures",
                     epilog=SPLITS_HELP)
    train.add_argument("model", help=f"{', '.join(MODEL_NAMES)}, or layers such as 'dense:128,relu,dense'")
    train.add_argument("--data", required=True, choices=DATA_NAMES)
    train.add_argument("--epochs", type=_positive(int), help="passes over the training set (default: recipe)")
    train.add_argument("--batch-size", type=_positive(int), help="samples per SGD step (default: recipe)")
    train.add_argument("--lr", type=float, help="learning rate η ≥ 0 (default: recipe)")
    train.add_argument("--momentum", type=float, help="SGD momentum (default: recipe)")
    train.add_argument("--weight-decay", type=float, default=0.0, help="L2 penalty added to the gradient")
    train.add_argument("--schedule", choices=SCHEDULES, help="learning-rate schedule (default: recipe)")
    train.add_argument("--seed", type=int, default=0, help="seeds initialisation, splits and batch order")
    train.add_argument("--features", type=_index_list, help="tabular data: column indices to keep, e.g. 2,3")
    train.add_argument("--positive-class", help="logistic regression: the class that is 1 (default: the last)")
    train.add_argument("--classes", type=lambda text: text.split(","),
                       help="tabular classes to keep, e.g. setosa,versicolor (slide 28: --features 2 --classes 0,1)")
    train.add_argument("--dtype", choices=("float32", "float64"), help="parameter dtype (default: recipe)")
    train.add_argument("--out", help=f"output folder (default: {DEFAULT_OUT})")
    train.add_argument("--overwrite", action="store_true", help="replace the run already in --out")
    train.add_argument("--quiet", action="store_true", help="no per-epoch progress lines")
    train.add_argument("--threads", type=_positive(int), metavar="N",
                       help="BLAS threads for training (default: chosen from the products' size and the free CPUs, "
                            "or OPENBLAS_NUM_THREADS etc. when set)")

    evaluate = _command(commands, "evaluate", run_evaluate, "score a saved run on its test split")
    evaluate.add_argument("run", help="folder written by 'scratch train'")

    predict = _command(commands, "predict", run_predict, "predict with a saved run")
    predict.add_argument("run", help="folder written by 'scratch train'")
    predict.add_argument("--input", help=f"{INPUT_HELP}; default: the first test samples")
    predict.add_argument("--limit", type=_positive(int), default=10, help="test samples to show without --input")
    predict.add_argument("--proba", type=_positive(int), nargs="?", const=3, default=0, metavar="K",
                         help="show each sample's K most probable classes with their probabilities (default K: 3)")

    export = _command(commands, "export", run_export, "write a saved run's weights for PyTorch (safetensors)")
    export.add_argument("run", help="folder written by 'scratch train'")
    export.add_argument("--format", choices=("safetensors",), default="safetensors",
                        help="PyTorch's key names and layouts: module.load_state_dict(load_file(FILE))")
    export.add_argument("--out", help="file to write (default: RUN/model.safetensors)")

    gradcheck = _command(commands, "gradcheck", run_gradcheck, "check every model's and loss's gradient three ways")
    gradcheck.add_argument("--seed", type=int, default=0)
    gradcheck.add_argument("--tol", type=_positive(float), default=1e-6, help="largest relative error that passes")
    gradcheck.add_argument("--no-torch", action="store_true", help="skip the PyTorch column even if torch is installed")
    return parser


def _command(commands, name, function, help_text, epilog=None):
    sub = commands.add_parser(name, help=help_text, description=help_text, epilog=epilog)
    sub.set_defaults(command=function)
    return sub


def _positive(kind):
    """An argparse type: a finite number > 0 of ``kind``."""

    def parse(text):
        value = kind(text)
        if not (value > 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"must be positive and finite; got {text}")
        return value

    parse.__name__ = kind.__name__
    return parse


def _index_list(text):
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated column indices such as 2,3; got {text!r}") from None


def run_slides(args):
    from scratch.cli.slides import format_table, lecture_checks, summary

    checks = lecture_checks([args.section]) if args.section else lecture_checks()
    print(format_table(checks))
    if not args.markdown:
        print(f"\n{summary(checks)}")
    return 0 if all(c.agrees for c in checks) else 1


def run_show(args):
    from scratch.cli.figures import FIGURES

    out = args.out or (f"samples-{args.data}.png" if args.figure == "samples" else f"{args.figure}.png")
    options = {"network": dict(layers=args.layers, inputs=args.inputs, outputs=args.outputs),
               "samples": dict(data=args.data)}
    figure = FIGURES[args.figure](out, **options.get(args.figure, {}))
    width, height = figure.get_size_inches() * figure.dpi
    print(f"wrote {out}: {width:.0f} × {height:.0f} pixels")


def run_train(args):
    from scratch.cli.runs import train_run

    out = args.out or DEFAULT_OUT.format(model=args.model.replace(",", "_").replace(":", ""), data=args.data)
    overrides = {k: getattr(args, k) for k in ("epochs", "batch_size", "lr", "momentum", "schedule", "dtype")}
    run = train_run(args.model, args.data, out, overrides=overrides, weight_decay=args.weight_decay,
                    seed=args.seed, features=args.features, positive_class=args.positive_class, classes=args.classes,
                    overwrite=args.overwrite, verbose=not args.quiet, threads=args.threads, report=_print_metrics)
    print(f"trained in {run['seconds']:.2f} s; saved the model, run.json and {len(run['figures'])} figures to {out}/")


def _print_metrics(run):
    """The run's train, validation and test lines, printed as soon as they are known (before the figures)."""
    for split, metrics in run["metrics"].items():
        print(_metrics_line(f"{split} ({run['splits'][split]['samples']} samples)", metrics), flush=True)


def run_evaluate(args):
    from scratch.cli.runs import evaluate_run

    print(_metrics_line("test", evaluate_run(args.run)))


def run_predict(args):
    from scratch.cli.runs import predict_run

    for line in predict_run(args.run, input_path=args.input, limit=args.limit, top=args.proba):
        print(line)


def run_export(args):
    from scratch.cli.run_folder import export_path
    from scratch.cli.runs import load_run
    from scratch.weights import export_safetensors

    model, _, _ = load_run(args.run)
    out = export_path(args.run, args.out)
    export_safetensors(model, out)
    keys = ", ".join(f"{key} {tuple(value.shape)}" for key, value in model.state_dict().items())
    print(f"wrote {out}: {keys}")
    if model.transform is not None:
        print(f"note: the model reads its input through {model.transform!r}; apply it before the PyTorch module.")


def run_gradcheck(args):
    from scratch.gradcheck import check_all, format_reports

    reports = check_all(seed=args.seed, use_torch=not args.no_torch)
    print(format_reports(reports, tol=args.tol))
    return 0 if all(r.ok(args.tol) for r in reports) else 1


def _metrics_line(split, metrics):
    from scratch.nn.loss import format_metrics

    return f"{split}: {format_metrics(metrics)}"

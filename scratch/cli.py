"""The ``scratch`` command: reproduce the lecture, train on real data, evaluate, predict, gradcheck.

    scratch slides                               every worked number of the lecture, checked
    scratch train softmax --data mnist           train, report, save the model and its figures
    scratch evaluate runs/mnist                  reload a saved run and score it on its test split
    scratch predict runs/mnist --input digit.png predict new samples with a saved run
    scratch gradcheck                            closed form vs autograd vs finite differences
"""

import argparse
import sys
from pathlib import Path

from scratch.tasks import DATA_NAMES, MODEL_NAMES

DEFAULT_OUT = "runs/{model}-{data}"


def main(argv=None):
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.command(args) or 0
    except (ValueError, TypeError) as exc:
        parser.exit(2, f"scratch {args.name}: error: {exc}\n")
    except FileNotFoundError as exc:  # includes a data set that is not installed
        parser.exit(1, f"scratch {args.name}: {exc}\n")


def build_parser():
    parser = argparse.ArgumentParser(prog="scratch", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    slides = _command(commands, "slides", run_slides, "reproduce every worked number of the lecture")
    slides.add_argument("--markdown", action="store_true", help="print only the Markdown table")

    train = _command(commands, "train", run_train, "train a model on a data set, save it and its figures")
    train.add_argument("model", help=f"{', '.join(MODEL_NAMES)}, or layers such as 'dense:128,relu,dense'")
    train.add_argument("--data", required=True, choices=DATA_NAMES)
    train.add_argument("--epochs", type=_positive(int), help="passes over the training set (default: recipe)")
    train.add_argument("--batch-size", type=_positive(int), help="samples per SGD step (default: recipe)")
    train.add_argument("--lr", type=_positive(float), help="learning rate η (default: recipe)")
    train.add_argument("--momentum", type=float, help="SGD momentum (default: recipe)")
    train.add_argument("--weight-decay", type=float, default=0.0, help="L2 penalty added to the gradient")
    train.add_argument("--schedule", choices=("constant", "cosine"), help="learning-rate schedule (default: recipe)")
    train.add_argument("--seed", type=int, default=0, help="seeds initialisation, split and batch order")
    train.add_argument("--features", type=_index_list, help="tabular column indices to keep, e.g. 2,3")
    train.add_argument("--positive-class", help="logistic regression: the class that is 1 (default: the last)")
    train.add_argument("--dtype", choices=("float32", "float64"), help="parameter and batch dtype (default: recipe)")
    train.add_argument("--out", help=f"output folder (default: {DEFAULT_OUT})")
    train.add_argument("--quiet", action="store_true", help="no per-epoch progress lines")

    evaluate = _command(commands, "evaluate", run_evaluate, "score a saved run on its test split")
    evaluate.add_argument("run", help="folder written by 'scratch train'")

    predict = _command(commands, "predict", run_predict, "predict with a saved run")
    predict.add_argument("run", help="folder written by 'scratch train'")
    predict.add_argument("--input", help=".npy, .csv (raw feature rows) or an image file; default: test samples")
    predict.add_argument("--limit", type=_positive(int), default=10, help="test samples to show without --input")

    gradcheck = _command(commands, "gradcheck", run_gradcheck, "check every model's and loss's gradient three ways")
    gradcheck.add_argument("--seed", type=int, default=0)
    gradcheck.add_argument("--tol", type=_positive(float), default=1e-6, help="largest relative error that passes")
    gradcheck.add_argument("--no-torch", action="store_true", help="skip the PyTorch column even if torch is installed")
    return parser


def _command(commands, name, function, help_text):
    sub = commands.add_parser(name, help=help_text, description=help_text)
    sub.set_defaults(command=function, name=name)
    return sub


def _positive(kind):
    def parse(text):
        value = kind(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be positive; got {text}")
        return value

    parse.__name__ = kind.__name__
    return parse


def _index_list(text):
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated column indices such as 2,3; got {text!r}") from None


def run_slides(args):
    from scratch.slides import format_table, lecture_checks

    checks = lecture_checks()
    print(format_table(checks))
    failed = [c for c in checks if not c.agrees]
    if not args.markdown:
        print(f"\n{len(checks) - len(failed)} of {len(checks)} lecture values reproduced.")
    return 1 if failed else 0


def run_train(args):
    from scratch.runs import train_run

    out = Path(args.out or DEFAULT_OUT.format(model=args.model.replace(",", "_").replace(":", ""), data=args.data))
    overrides = {k: getattr(args, k) for k in ("epochs", "batch_size", "lr", "momentum", "schedule", "dtype")}
    run = train_run(args.model, args.data, out, overrides=overrides, weight_decay=args.weight_decay,
                    seed=args.seed, features=args.features, positive_class=args.positive_class,
                    verbose=not args.quiet)
    print(_metrics_line("train", run["metrics"]["train"]))
    print(_metrics_line("test", run["metrics"]["test"]))
    print(f"saved the model, run.json and {len(run['figures'])} figures to {out}/")


def run_evaluate(args):
    from scratch.runs import evaluate_run

    metrics = evaluate_run(args.run)
    print(_metrics_line("test", metrics))


def run_predict(args):
    from scratch.runs import predict_run

    for line in predict_run(args.run, input_path=args.input, limit=args.limit):
        print(line)


def run_gradcheck(args):
    from scratch.gradcheck import check_all, format_reports

    reports = check_all(seed=args.seed, use_torch=not args.no_torch)
    print(format_reports(reports, tol=args.tol))
    return 0 if all(r.ok(args.tol) for r in reports) else 1


def _metrics_line(split, metrics):
    return f"{split}: " + ", ".join(f"{k} {v:.4f}" if k != "accuracy" else f"accuracy {100 * v:.2f} %"
                                    for k, v in metrics.items())


if __name__ == "__main__":
    sys.exit(main())

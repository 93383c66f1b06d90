"""The default training recipes of ``scratch train``: minibatch SGD settings per (model, data).

``RECIPES`` maps (model, data) to settings; ("*", "images") and ("*", "tabular") are the
fallbacks. The command line and ``benchmarks/`` both read them through ``recipe_for``.
Recipes are judged on the validation split (held out of the training split), never on the
test split: Fashion-MNIST's is the best mean validation accuracy over seeds 0–2 of a grid
(batch 32/64/128 × lr 0.01–0.1 × 6/10/15 epochs, momentum 0.9, cosine); MNIST's kept its
settings, within 0.1 % of that grid's best on validation. The lecture's MLP on MNIST
(``dense:128,relu,dense``): of batch 64/128/256 × lr 0.05/0.1/0.2 × 5/10/15 epochs (momentum
0.9, cosine; seeds 0–2), the fewest SGD steps within 0.1 % of the best mean validation
accuracy (97.99 % against 98.08 %). README gives their test accuracy.
"""

from scratch import datasets

RECIPES = {
    ("softmax", "mnist"): dict(epochs=8, batch_size=64, lr=0.1, momentum=0.9, schedule="cosine", dtype="float32"),
    ("softmax", "fashion-mnist"): dict(epochs=10, batch_size=128, lr=0.1, momentum=0.9, schedule="cosine",
                                       dtype="float32"),
    ("dense:128,relu,dense", "mnist"): dict(epochs=15, batch_size=128, lr=0.2, momentum=0.9, schedule="cosine",
                                            dtype="float32"),
    ("*", "images"): dict(epochs=8, batch_size=64, lr=0.05, momentum=0.9, schedule="cosine", dtype="float32"),
    ("*", "tabular"): dict(epochs=100, batch_size=16, lr=0.05, momentum=0.9, schedule="cosine", dtype="float64"),
}


def recipe_for(model, data, overrides=None):
    """The recipe for ``model`` (a name or a layer spec) on ``data``, with non-None ``overrides`` applied."""
    family = "images" if datasets.lookup(data).kind == "images" else "tabular"
    recipe = dict(RECIPES.get((model, data), RECIPES[("*", family)]))
    recipe.update({key: value for key, value in (overrides or {}).items() if value is not None})
    return recipe

"""scikit-learn's linear classifiers as peers: fit time, accuracy, time to reach a threshold.

scikit-learn gets the whole training set converted once to float64 x / 255 (its usual
input; conversion not timed). Time to reach a threshold is measured by refitting with a
growing ``max_iter`` (each fit from scratch): the first fit whose test accuracy crosses it.
"""

import time
import warnings

import numpy as np

import _common


def _timed_fit(make_estimator, max_iter, X, y, X_test, y_test):
    """(seconds, test accuracy) of one fit with ``max_iter`` (convergence warnings silenced)."""
    from sklearn.exceptions import ConvergenceWarning

    estimator = make_estimator(max_iter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        estimator.fit(X, y)
        seconds = time.perf_counter() - start
    return seconds, float(np.mean(estimator.predict(X_test) == y_test))


def lbfgs(max_iter, seed=0):
    """LogisticRegression() as users call it (lbfgs, L2, C=1), with a given max_iter."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=max_iter, random_state=seed)


def sgd_classifier(max_iter, seed=0):
    """SGDClassifier(loss="log_loss") with its defaults (one-vs-rest, alpha=1e-4), max_iter epochs."""
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(loss="log_loss", max_iter=max_iter, random_state=seed)


def sklearn_peer(name, make_estimator, default_iter, iter_series, thresholds, data, seed):
    """One row: the default fit's seconds and accuracy, and the seconds to reach each threshold.

    data: (X_train, y_train, X_test, y_test) float64 features. iter_series: increasing max_iter
    values tried until every threshold is crossed (the default fit counts if it gets there first).
    """
    make = lambda max_iter: make_estimator(max_iter, seed)  # noqa: E731
    seconds, accuracy = _timed_fit(make, default_iter, *data)
    row = {"system": name, "fit_s": seconds, "test_acc": accuracy}
    reached = {}
    for max_iter in iter_series:
        if len(reached) == len(thresholds):
            break
        t, acc = (seconds, accuracy) if max_iter == default_iter else _timed_fit(make, max_iter, *data)
        for threshold in thresholds:
            if acc >= threshold and threshold not in reached:
                reached[threshold] = (t, max_iter)
    hits = {threshold: reached.get(threshold, (None, None)) for threshold in thresholds}
    return {**row, **_common.threshold_columns(hits)}

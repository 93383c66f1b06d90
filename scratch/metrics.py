"""Evaluation metrics computed from labels and predictions: accuracy, R², confusion matrix.

Pure functions of arrays. Every ``score`` in scratch comes from here: a model's or a
network's ``score(X, y)`` asks its criterion's head (``scratch.nn.loss``), which calls
``accuracy`` for classifiers and ``r2_score`` for regressors.
"""

import numpy as np

from scratch._validation import check_array, check_labels, check_number, check_same_length


def accuracy(y_true, y_pred):
    """Fraction of exact matches, mean(y_true == y_pred).

    y_true, y_pred: (N,) class labels. Returns a Python float in [0, 1].
    """
    y_true = check_array(y_true, "y_true", ndim=1, dtype="any")
    y_pred = check_array(y_pred, "y_pred", ndim=1, dtype="any")
    check_same_length(y_true, y_pred, "y_true", "y_pred")
    return float(np.mean(y_true == y_pred))


def r2_score(y_true, y_pred):
    """Coefficient of determination R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)².

    y_true, y_pred: (N,) real targets and predictions. Returns a Python float ≤ 1;
    a constant y_true (zero variance) gives 1.0 for a perfect fit and 0.0 otherwise, as scikit-learn does.
    """
    y_true = check_array(y_true, "y_true", ndim=1)
    y_pred = check_array(y_pred, "y_pred", ndim=1)
    check_same_length(y_true, y_pred, "y_true", "y_pred")
    residual = np.sum((y_true - y_pred) ** 2)
    total = np.sum((y_true - y_true.mean()) ** 2)
    if total == 0:
        return 1.0 if residual == 0 else 0.0
    return float(1 - residual / total)


def confusion_matrix(y_true, y_pred, n_classes):
    """Counts C[i, j] = #{n : y_true[n] = i and y_pred[n] = j}.

    Computed with one ``np.bincount`` over the flat index i·K + j.
    y_true, y_pred: (N,) int labels in [0, K). Returns C: (K, K) int64; rows are true classes,
    columns predicted classes, and C.sum() == N.
    """
    n_classes = check_number(n_classes, "n_classes", low=1, integer=True)
    y_true = check_labels(y_true, "y_true", n_classes)
    y_pred = check_labels(y_pred, "y_pred", n_classes)
    check_same_length(y_true, y_pred, "y_true", "y_pred")
    flat = y_true * n_classes + y_pred
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)

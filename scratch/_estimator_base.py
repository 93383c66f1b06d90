"""scikit-learn's conventions for ``scratch.estimators``: its estimator base classes (or a minimal
stand-in without it) and how it reads its inputs (a number as every sample's weight, a column y).

When scikit-learn is importable these are its BaseEstimator, mixins, NotFittedError and warnings;
otherwise the same names give get_params, set_params and an unweighted score (scratch.metrics).
"""

import inspect
import numbers
import warnings

import numpy as np

from scratch.metrics import accuracy, r2_score

__all__ = ["BaseEstimator", "ClassifierMixin", "RegressorMixin", "NotFittedError", "ConvergenceWarning",
           "DataConversionWarning"]

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning, DataConversionWarning, NotFittedError
except ImportError:  # the stand-in: the same names, as little as the estimators need

    class NotFittedError(ValueError, AttributeError):
        """A method that needs a fitted estimator was called before ``fit``."""

    class ConvergenceWarning(UserWarning):
        """L-BFGS stopped before the gradient reached ``tol``."""

    class DataConversionWarning(UserWarning):
        """y was given as a column (N, 1) and read as (N,)."""

    class BaseEstimator:
        """get_params/set_params over the ``__init__`` arguments, as scikit-learn's."""

        def get_params(self, deep=True):
            names = [name for name in inspect.signature(type(self).__init__).parameters if name != "self"]
            return {name: getattr(self, name) for name in names}

        def set_params(self, **params):
            valid = self.get_params()
            for name, value in params.items():
                if name not in valid:
                    raise ValueError(f"Invalid parameter {name!r} for {type(self).__name__}; valid: {sorted(valid)}.")
                setattr(self, name, value)
            return self

        def __repr__(self):
            return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_params().items())})"

    class _StandInScore:
        def score(self, X, y, sample_weight=None):
            """scratch.metrics' accuracy (classifiers) or R² (regressor) of predict(X) against y."""
            if sample_weight is not None:
                raise TypeError("score(sample_weight=...) needs scikit-learn's metrics: pip install scikit-learn.")
            return self._metric(y, self.predict(X))

    def _label_accuracy(y, predictions):
        """accuracy over labels of any kind (strings too): scratch.metrics' on their codes in one list."""
        y = np.asarray(y)
        _, codes = np.unique(np.concatenate([y, predictions]), return_inverse=True)
        return accuracy(codes[: len(y)], codes[len(y) :])

    class ClassifierMixin(_StandInScore):
        _metric = staticmethod(_label_accuracy)

    class RegressorMixin(_StandInScore):
        _metric = staticmethod(r2_score)


def per_sample(sample_weight, n_samples):
    """A number is every sample's weight, as in scikit-learn; anything else stays as given."""
    return np.full(n_samples, sample_weight) if isinstance(sample_weight, numbers.Number) else sample_weight


def objects_as_floats(a):
    """An object array of numbers as float64 (anything else raises numpy's TypeError); other arrays as they are."""
    return a.astype(np.float64) if a.dtype.kind == "O" else a


def column_or_1d(y, estimator_name):
    """y: (N,) as given; a column (N, 1) is read as (N,) with scikit-learn's DataConversionWarning."""
    if y is None:
        raise ValueError(f"{estimator_name} requires y to be passed, but the target y is None.")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn("A column-vector y was passed when a 1d array was expected. Please change the shape "
                      "of y to (n_samples,), for example using ravel().", DataConversionWarning, stacklevel=3)
        return y.ravel()
    return y

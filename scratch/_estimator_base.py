"""scikit-learn's estimator base classes for ``scratch.estimators``, or a minimal stand-in without it.

When scikit-learn is importable these are its BaseEstimator, mixins, NotFittedError and warnings;
otherwise the same names give get_params, set_params and an unweighted score (scratch.metrics).
"""

import inspect

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



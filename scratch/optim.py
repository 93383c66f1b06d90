"""Stochastic gradient descent, exactly as ``torch.optim.SGD``, and two learning-rate schedulers.

One step, per parameter θ with gradient g (PyTorch's order):

    d = −g if maximize else g
    d = d + λ·θ                                   (weight_decay λ)
    b = d on the first step, else b = μ·b + (1 − τ)·d   (momentum μ, dampening τ)
    d = d + μ·b if nesterov else b                (only when μ ≠ 0)
    θ = θ − η·d                                   (learning rate η)

Parameters are updated in place (a model's params dict holds the same arrays); the momentum
buffers b live in the optimizer.

Derivation, step by step: docs/lecture/derivations.md#7-stochastic-gradient-descent-as-pytorchs-sgd
"""

import math
import warnings

import numpy as np

from scratch._validation import check_number


def _check_non_negative(value, name, what):
    """A finite real ≥ 0, as a Python float; the message starts as PyTorch's ("Invalid learning rate: -1").

    A Python float never changes an array's dtype: float32 parameters are updated in float32 arithmetic.
    """
    check_number(value, name)
    if value < 0:
        raise ValueError(f"Invalid {what}: {value} ({name} must be ≥ 0).")
    return float(value)


def _as_learning_rate(value):
    """A real lr, or a one-element array of one (PyTorch accepts a one-element tensor lr)."""
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise ValueError(f"Tensor lr must be 1-element: an array lr holds one value; got shape {value.shape}.")
        value = value.item()
    return _check_non_negative(value, "lr", "learning rate")


class SGD:
    """Minibatch SGD with momentum, dampening, weight decay, Nesterov and maximize.

    params: a dict or list of float ndarrays, updated IN PLACE by ``step(grads)``, where
    ``grads`` has the same structure (same keys or order) and shapes. ``lr`` may be changed
    between steps (that is what a scheduler does); every lr is checked by one rule, PyTorch's.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
        if isinstance(params, np.ndarray):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts (here: a list "
                f"of arrays or a dict of them); got one array of shape {params.shape}. Wrap it: SGD([param], lr) "
                "or SGD(model.params, lr)."
            )
        self._keys = list(params) if isinstance(params, dict) else None
        self._params = self._check_params(list(params.values()) if isinstance(params, dict) else list(params))
        self.lr = lr
        self.momentum = _check_non_negative(momentum, "momentum", "momentum value")
        self.dampening = float(check_number(dampening, "dampening"))
        self.weight_decay = _check_non_negative(weight_decay, "weight_decay", "weight_decay value")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"Nesterov momentum requires a momentum and zero dampening; got momentum={momentum}, "
                f"dampening={dampening}. Set momentum > 0 and dampening=0, or nesterov=False."
            )
        self.nesterov = bool(nesterov)
        self.maximize = bool(maximize)
        self._momentum_buffers = [None] * len(self._params)  # b, one per parameter, from the first step
        self.steps_taken = 0  # a scheduler stepped before the first update warns, as PyTorch's

    @property
    def lr(self):
        return self._lr

    @lr.setter
    def lr(self, value):
        self._lr = _as_learning_rate(value)

    def parameters(self):
        """The arrays this optimizer updates, in order (the same objects as the model's params)."""
        return list(self._params)

    @staticmethod
    def _check_params(params):
        if not params:
            raise ValueError("params must hold at least one array; got an empty collection.")
        for i, p in enumerate(params):
            if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
                raise TypeError(
                    f"params[{i}] must be a float ndarray (updated in place); got {type(p).__name__}"
                    f"{' of dtype ' + str(p.dtype) if isinstance(p, np.ndarray) else ''}."
                )
            if not p.flags.writeable:
                raise ValueError(f"params[{i}] is read-only; SGD updates parameters in place.")
        if len({id(p) for p in params}) < len(params):  # PyTorch warns, and so do we: each step updates it twice
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, this will cause "
                "an error. Each duplicate is updated once per occurrence.",
                UserWarning,
                stacklevel=3,
            )
        return params

    def _grads_as_list(self, grads):
        if self._keys is not None:
            if not isinstance(grads, dict) or list(grads) != self._keys:
                got = list(grads) if isinstance(grads, dict) else type(grads).__name__
                raise ValueError(f"grads must be a dict with the keys of params {self._keys}; got {got}.")
            grads = list(grads.values())
        elif len(grads) != len(self._params):
            raise ValueError(f"grads must hold {len(self._params)} arrays, like params; got {len(grads)}.")
        for i, (p, g) in enumerate(zip(self._params, grads)):
            name = self._keys[i] if self._keys else i
            if not isinstance(g, (np.ndarray, np.generic)):
                raise TypeError(f"grads[{name!r}] must be a numpy array; got {type(g).__name__}.")
            if g.shape != p.shape:
                raise ValueError(f"grads[{name!r}] has shape {g.shape}, but the parameter has shape {p.shape}.")
            if g.dtype.kind not in "iuf":
                raise TypeError(f"grads[{name!r}] must hold real numbers; got dtype {g.dtype}.")
        return grads

    def step(self, grads):
        """Apply one update θ ← θ − η·d to every parameter, in place (the module docstring's algorithm).

        Every gradient is checked (keys, type, shape, dtype) before any parameter changes; each
        is taken in its parameter's dtype, as PyTorch's gradients are.
        """
        grads = self._grads_as_list(grads)
        lr, mu, tau = self._lr, self.momentum, self.dampening
        for i, (theta, g) in enumerate(zip(self._params, grads)):
            d = g if g.dtype == theta.dtype else g.astype(theta.dtype)
            if self.maximize:
                d = -d
            if self.weight_decay != 0:
                d = d + self.weight_decay * theta
            if mu != 0:
                b = self._momentum_buffers[i]
                if b is None:  # the first step: b = d, a copy (a 0-d array even for a scalar)
                    b = self._momentum_buffers[i] = np.array(d)
                else:  # b = μ·b + (1 − τ)·d, in place
                    b *= mu
                    b += (1 - tau) * d
                d = d + mu * b if self.nesterov else b
            theta -= lr * d
        self.steps_taken += 1


class _Scheduler:
    """torch.optim.lr_scheduler's protocol: ``step()`` once per epoch sets ``optimizer.lr``.

    Each ``step()`` moves to epoch e = ``last_epoch`` + 1 and sets η_e from the optimizer's current
    lr η_(e−1) by the scheduler's recursive ("chainable") form, as PyTorch's ``step()`` does, so
    that two schedulers on one optimizer compose (each scales the lr the other left). Alone, the
    recursion gives the closed form in each class docstring (η₀: the lr at construction, ``base_lr``).
    """

    def __init__(self, optimizer):
        if not hasattr(optimizer, "lr"):
            raise TypeError(f"optimizer must be an optimizer with an lr, e.g. SGD(model.params, lr); got {optimizer!r}.")
        self.optimizer, self.base_lr, self.last_epoch = optimizer, optimizer.lr, 0

    def step(self):
        """Move to the next epoch: optimizer.lr ← next_lr(optimizer.lr, last_epoch + 1)."""
        if getattr(self.optimizer, "steps_taken", None) == 0:
            warnings.warn(
                "Detected call of `lr_scheduler.step()` before `optimizer.step()`: call `optimizer.step()` first, "
                "then `lr_scheduler.step()`; otherwise the first value of the learning-rate schedule is skipped.",
                UserWarning,
                stacklevel=2,
            )
        self.last_epoch += 1
        self.optimizer.lr = self.next_lr(self.optimizer.lr, self.last_epoch)

    def get_last_lr(self):
        return [self.optimizer.lr]


class StepLR(_Scheduler):
    """η_e = η₀ · γ^⌊e / step_size⌋ (``torch.optim.lr_scheduler.StepLR``): η_e = γ·η_(e−1) when step_size divides e."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = check_number(step_size, "step_size", low=1, integer=True)
        self.gamma = float(check_number(gamma, "gamma", low=0))
        super().__init__(optimizer)

    def next_lr(self, lr, epoch):
        return lr * self.gamma if epoch % self.step_size == 0 else lr

    def __repr__(self):
        return f"StepLR(step_size={self.step_size}, gamma={self.gamma})"


class CosineAnnealingLR(_Scheduler):
    """η_e = η_min + (η₀ − η_min)·(1 + cos(π·e / T_max)) / 2 (``torch.optim.lr_scheduler.CosineAnnealingLR``).

    Recursively, as PyTorch steps it: η_e − η_min = (η_(e−1) − η_min)·(1 + cos(πe/T)) / (1 + cos(π(e−1)/T)),
    and at the trough's restart (e − 1 − T divisible by 2T) η_e = η_(e−1) + (η₀ − η_min)·(1 − cos(π/T)) / 2.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = check_number(T_max, "T_max", low=1, integer=True)
        self.eta_min = _check_non_negative(eta_min, "eta_min", "minimum learning rate")
        super().__init__(optimizer)

    def next_lr(self, lr, epoch):
        T, low = self.T_max, self.eta_min
        if (epoch - 1 - T) % (2 * T) == 0:
            return lr + (self.base_lr - low) * (1 - math.cos(math.pi / T)) / 2
        return (1 + math.cos(math.pi * epoch / T)) / (1 + math.cos(math.pi * (epoch - 1) / T)) * (lr - low) + low

    def __repr__(self):
        return f"CosineAnnealingLR(T_max={self.T_max}, eta_min={self.eta_min})"

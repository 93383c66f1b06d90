"""torch.optim.SGD on scratch.optim.SGD: PyTorch's param groups around scratch's update.

Each parameter gets its own scratch.optim.SGD over its ndarray (the same array as the
tensor's ``data``, updated in place), so a parameter whose ``.grad`` is None is skipped — its
momentum buffer untouched — as PyTorch skips it. The group's lr (which a scheduler changes)
is handed to scratch's SGD before every step; the update θ ← θ − η·d is scratch's.
"""

from scratch import optim as _scratch_optim
from scratch.autograd._graph import no_grad
from scratch.torch.optim import lr_scheduler  # noqa: F401  (torch.optim.lr_scheduler)

_DEFAULTS = {"momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": False, "maximize": False}


class Optimizer:
    """param_groups (a list of dicts with "params" and the options), zero_grad and step."""

    def __init__(self, params, defaults):
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.defaults, self.param_groups = defaults, []
        for group in groups:
            group = {**defaults, **group, "params": list(group["params"])}
            self.param_groups.append(group)
        self.state = {}

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.grad = None if set_to_none else p.grad.zero_()


class SGD(Optimizer):
    """SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False)."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        options = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                   "nesterov": nesterov, "maximize": maximize}
        super().__init__(params, options)
        for group in self.param_groups:
            for p in group["params"]:
                if not getattr(p, "requires_grad", False) and not p.is_leaf:
                    raise ValueError("can't optimize a non-leaf Tensor")
                # scratch's SGD checks lr, momentum, weight_decay, nesterov as PyTorch does
                self.state[id(p)] = _scratch_optim.SGD([p.data], **{k: group[k] for k in ("lr", *_DEFAULTS)})

    def step(self, closure=None):
        """θ ← θ − η·d for every parameter with a gradient: scratch.optim.SGD.step."""
        loss = closure() if closure is not None else None
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    update = self.state[id(p)]
                    update.lr = group["lr"]
                    if update.parameters()[0] is not p.data:  # the data was replaced (p.data = …): follow it
                        update._params[0] = p.data
                    update.step([p.grad.data])
        return loss

    def __repr__(self):
        lines = ["SGD ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])

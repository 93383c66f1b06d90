"""torch.optim.lr_scheduler.StepLR and CosineAnnealingLR on scratch.optim's.

scratch's schedulers set ``optimizer.lr`` from its current value (PyTorch's chainable step);
here each param group is presented to one of them as an object whose ``lr`` is the group's
"lr", so η_e is scratch's formula for every group, and two schedulers compose.
"""

from scratch import optim as _scratch_optim


class _GroupLR:
    """A param group seen as scratch's optimizer: ``lr`` reads and writes group["lr"]."""

    def __init__(self, group):
        self.group = group

    lr = property(lambda self: self.group["lr"], lambda self, value: self.group.__setitem__("lr", value))


class LRScheduler:
    def __init__(self, optimizer, make):
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self._schedules = [make(_GroupLR(group)) for group in optimizer.param_groups]
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0

    def step(self, epoch=None):
        for schedule in self._schedules:
            schedule.step()
        self.last_epoch += 1

    def get_last_lr(self):
        return [group["lr"] for group in self.optimizer.param_groups]


class StepLR(LRScheduler):
    """η_e = η₀·γ^⌊e / step_size⌋ (scratch.optim.StepLR)."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, lambda g: _scratch_optim.StepLR(g, step_size, gamma))


class CosineAnnealingLR(LRScheduler):
    """η_e = η_min + (η₀ − η_min)(1 + cos(πe/T_max))/2 (scratch.optim.CosineAnnealingLR)."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, lambda g: _scratch_optim.CosineAnnealingLR(g, T_max, eta_min))

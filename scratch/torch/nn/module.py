"""torch.nn.Module, Parameter, Sequential and ModuleList, as PyTorch defines them.

A Module registers what is assigned to it: a ``Parameter`` into ``_parameters``, a Module into
``_modules`` (in assignment order), a ``register_buffer`` tensor into ``_buffers``; from them
come ``parameters()``, ``named_parameters()``, ``children()``, ``modules()``, ``state_dict()``
and the printed form, which is PyTorch's own (``__repr__`` with ``extra_repr`` and indentation).
"""

import collections

import numpy as np

from scratch.autograd._graph import no_grad
from scratch.torch._format import tensor_repr
from scratch.torch._tensor import Tensor


class Parameter(Tensor):
    """A tensor that is a module's parameter: requires grad; shares the data it is made from."""

    def __init__(self, data=None, requires_grad=True):
        data = np.zeros(0, np.float32) if data is None else getattr(data, "data", data)
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + tensor_repr(self)


def _addindent(text, spaces):
    lines = text.split("\n")
    return lines[0] if len(lines) == 1 else lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


IncompatibleKeys = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])
IncompatibleKeys.__repr__ = lambda self: (
    "<All keys matched successfully>" if not self.missing_keys and not self.unexpected_keys
    else f"_IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})")


class Module:
    """Base class of every layer and model: registration, traversal, modes, state dicts, printing."""

    def __init__(self, *args, **kwargs):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        """PyTorch's registration: a Parameter or a Module is recorded by name; None may replace one."""
        tables = {t: self.__dict__.get(t) for t in ("_parameters", "_buffers", "_modules")}
        if tables["_parameters"] is None and isinstance(value, (Parameter, Module)):
            raise AttributeError("cannot assign parameters or modules before Module.__init__() call")
        kind = "_parameters" if isinstance(value, Parameter) else "_modules" if isinstance(value, Module) else None
        if kind is None:
            kind = next((t for t, table in tables.items() if table is not None and name in table), None)
            if kind in ("_parameters", "_modules") and value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as {'parameter' if kind == '_parameters' else 'child module'} "
                    f"'{name}' ({'torch.nn.Parameter' if kind == '_parameters' else 'torch.nn.Module'} or None expected)"
                )
        if kind is None:
            object.__setattr__(self, name, value)
            return
        for other in tables:
            if other != kind:
                tables[other].pop(name, None)
        self.__dict__.pop(name, None)
        tables[kind][name] = value

    def __getattr__(self, name):
        for table in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(table, {}):
                return self.__dict__[table][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for table in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(table, {}):
                del self.__dict__[table][name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        self._buffers[name] = tensor

    def add_module(self, name, module):
        self._modules[str(name)] = module

    register_module = add_module

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # --- traversal -------------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix=""):
        memo = set() if memo is None else memo
        if id(self) not in memo:
            memo.add(id(self))
            yield prefix, self
            for name, module in self._modules.items():
                if module is not None:
                    yield from module.named_modules(memo, prefix + ("." if prefix else "") + name)

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        return ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self):
        return (m for _, m in self.named_children())

    def named_parameters(self, prefix="", recurse=True):
        """(name, Parameter), each parameter once under its first name, as PyTorch."""
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, p in module._parameters.items():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    yield (module_prefix + "." if module_prefix else "") + name, p

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self):
        for module_prefix, module in self.named_modules():
            for name, b in module._buffers.items():
                if b is not None:
                    yield (module_prefix + "." if module_prefix else "") + name, b

    def buffers(self):
        return (b for _, b in self.named_buffers())

    def apply(self, fn):
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # --- modes, gradients, dtypes ------------------------------------------------------------------
    def train(self, mode=True):
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if p.grad is not None:
                p.grad = None if set_to_none else p.grad.zero_()

    def to(self, *args, dtype=None, device=None, **kwargs):
        """``to(torch.float64)`` casts the parameters; a device ("cpu") changes nothing, another is refused."""
        from scratch.torch._device import check_device, is_device

        for value in (*args, device):
            if is_device(value):
                check_device(value)
        target = dtype if dtype is not None else next((a for a in args if not is_device(a)), None)
        if target is not None:
            from scratch.torch._dtype import to_numpy

            for p in self.parameters():
                p.data = p.data.astype(to_numpy(target))
        return self

    def double(self):
        return self.to(np.float64)

    def float(self):
        return self.to(np.float32)

    def cpu(self):
        return self

    # --- state dicts -----------------------------------------------------------------------------
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """{name: tensor} of every parameter and buffer, PyTorch's keys; the tensors share the data."""
        out = collections.OrderedDict() if destination is None else destination
        for module_prefix, module in self.named_modules(prefix=prefix.rstrip(".")):
            head = module_prefix + "." if module_prefix else ""
            for name, t in (*module._parameters.items(), *module._buffers.items()):
                if t is not None:
                    out[head + name] = t if keep_vars else Tensor(t.data)
        return out

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy each tensor into the parameter of its key (in place); PyTorch's errors for wrong keys or shapes."""
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        if strict and missing:
            errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
        for key, target in own.items():
            if key in state_dict:
                value = np.asarray(getattr(state_dict[key], "data", state_dict[key]))
                if value.shape != target.data.shape:
                    errors.append(
                        f"size mismatch for {key}: copying a param with shape {list(value.shape)} from checkpoint, "
                        f"the shape in current model is {list(target.data.shape)}."
                    )
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        with no_grad():
            for key, target in own.items():
                if key in state_dict:
                    target.copy_(state_dict[key])
        return IncompatibleKeys(missing, unexpected)

    # --- printing, as PyTorch ----------------------------------------------------------------------
    def extra_repr(self):
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr().split("\n") if self.extra_repr() else []
        children = [f"({key}): " + _addindent(repr(module), 2) for key, module in self._modules.items()]
        lines = extra + children
        body = ""
        if lines:
            body = extra[0] if len(extra) == 1 and not children else "\n  " + "\n  ".join(lines) + "\n"
        return self._get_name() + "(" + body + ")"

"""``Module``: PyTorch's ``nn.Module`` protocol, shared by layers, containers, losses and models.

What every module declares, so that nothing else keeps a list of module types:
  params            its parameters, name → live float array (optimizers update them in place;
                    a container's ``params`` holds all of its children's, as "0.weight");
  named_children()  its direct sub-modules as (name, module) pairs, each module once;
  children()        the same sub-modules, without their names (PyTorch's pair of methods);
  config()          its constructor settings, JSON-able; ``from_config`` rebuilds it;
  state_dict()      its parameters under PyTorch's key names and layouts.

Every concrete subclass (not one declared ``abstract=True``) registers itself by class name in ``Module.registry`` when it is
defined; ``describe``/``from_description`` turn any module into a JSON-able description
and back, which is how ``scratch.persistence`` saves and rebuilds every model.
"""

import numpy as np


class Module:
    """Base class: parameters, sub-modules, state dicts and constructor configs."""

    registry = {}  # class name → class, filled as subclasses are defined

    def __init_subclass__(cls, abstract=False, **kwargs):
        """Register the class by name; a base class declares ``class Base(Module, abstract=True)``."""
        super().__init_subclass__(**kwargs)
        if not abstract and not cls.__name__.startswith("_"):
            Module.registry[cls.__name__] = cls

    # ---- structure ----------------------------------------------------------------------
    def _submodules(self):
        """Every (name, direct sub-module) slot, a module used twice under both names (torch's ``_modules``)."""
        return ()

    def named_children(self):
        """(name, module) for each direct sub-module, a module held twice only under its first name,
        as PyTorch's; a leaf has none."""
        seen = set()
        for name, module in self._submodules():
            if id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        """The direct sub-modules, each once, as PyTorch's (``named_children`` gives their names too)."""
        for _, module in self.named_children():
            yield module

    def _own_parameters(self):
        """This module's own parameters, not its children's: ``params`` for a leaf, {} for a container."""
        return getattr(self, "params", {})

    def _all_parameters(self, prefix=""):
        """(name, array) for own params, then each child's as "<child>.<name>"; repeats kept."""
        for name, p in self._own_parameters().items():
            yield prefix + name, p
        for child_name, child in self._submodules():
            yield from child._all_parameters(f"{prefix}{child_name}.")

    def named_parameters(self):
        """[(name, array)], each parameter once under its first name (PyTorch drops repeats too)."""
        seen, named = set(), []
        for name, p in self._all_parameters():
            if id(p) not in seen:
                seen.add(id(p))
                named.append((name, p))
        return named

    def parameters(self):
        """The live parameter arrays, in ``named_parameters`` order."""
        return [p for _, p in self.named_parameters()]

    # ---- PyTorch's state dict -----------------------------------------------------------
    def state_dict(self):
        """{key: copy} under PyTorch's key names and layouts ("0.weight" is (out, in))."""
        return {name: np.array(p) for name, p in self._all_parameters()}

    def load_state_dict(self, state_dict):
        """Copy ``state_dict``'s arrays into the live parameters; keys and shapes must match exactly."""
        expected = self.state_dict()
        if not isinstance(state_dict, dict) or set(state_dict) != set(expected):
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"state_dict must have the keys {sorted(expected)}; got {got}.")
        arrays = {}
        for key, reference in expected.items():
            value = np.asarray(state_dict[key])
            if value.shape != reference.shape or value.dtype.kind not in "biuf":
                raise ValueError(
                    f"state_dict[{key!r}] must be a numeric array of shape {reference.shape}; "
                    f"got {value.dtype} of shape {value.shape}."
                )
            with np.errstate(over="ignore"):
                value = value.astype(reference.dtype)  # finite in float64 may overflow the parameter's float32
            if not np.isfinite(value).all():
                raise ValueError(f"state_dict[{key!r}] contains NaN or inf in the parameter's {reference.dtype}.")
            arrays[key] = value
        self._load_state(arrays)
        return self

    def _load_state(self, arrays):
        """Write checked state-dict arrays into the live parameters (cast to their dtype)."""
        live = dict(self._all_parameters())
        for key, value in arrays.items():
            live[key][...] = value

    # ---- constructor settings -----------------------------------------------------------
    def config(self):
        """The constructor's settings as a JSON-able dict: ``type(self).from_config(config)`` rebuilds it."""
        return {}

    @classmethod
    def from_config(cls, config):
        """A fresh module of this class from ``config()``'s output (parameters freshly initialised)."""
        return cls(**config)

    def describe(self):
        """{"type": class name, "config": config()}: what ``Module.from_description`` rebuilds."""
        return {"type": type(self).__name__, "config": self.config()}

    @staticmethod
    def from_description(description):
        """The module a ``describe()`` output describes (ValueError/TypeError for anything else)."""
        if not isinstance(description, dict) or not isinstance(description.get("config"), dict):
            raise ValueError(f"a module description is {{'type': …, 'config': {{…}}}}; got {description!r}.")
        cls = Module.registry.get(description.get("type"))
        if cls is None:
            raise ValueError(f"unknown module type {description.get('type')!r}; known: {', '.join(sorted(Module.registry))}.")
        return cls.from_config(description["config"])

    # ---- calling and printing -----------------------------------------------------------
    def __call__(self, *args):
        return self.forward(*args)

    def extra_repr(self):
        return ""

    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"

"""``Sequential``: modules applied in order, with the chain rule run back through them.

    y = fₖ(… f₁(f₀(x)))          ∂L/∂x = ∂f₀ᵀ(∂f₁ᵀ(… ∂fₖᵀ(g)))     g = ∂L/∂y

Its layers are its children "0", "1", …; a Sequential may hold Sequentials, so parameter
names are PyTorch's: "0.weight", "1.0.bias". ``_forward`` returns the *tape*, one ctx per
child and call, so a layer used twice keeps both calls; ``_backward`` sums the gradients
of a parameter reached more than once within that pass, as PyTorch's autograd does.
"""

import numbers

import numpy as np

from scratch.nn.layers import _Layer, as_dtype
from scratch.nn.module import Module


def _is_layer(module):
    """A Module with the unchecked _forward/_backward pair (layers, Sequentials)."""
    pair = (getattr(module, "_forward", None), getattr(module, "_backward", None))
    return isinstance(module, Module) and all(map(callable, pair))


class Sequential(_Layer):
    """Layers applied in order, as ``torch.nn.Sequential``; x: (*, in_features) → output of the last.

    ``params`` holds the live arrays of every layer ("0.weight" is (out, in)), so
    ``SGD(net.params, lr)`` updates the layers. Consecutive widths must chain (activations
    keep the width); all parameters share one float dtype.
    """

    def __init__(self, *layers):
        if not layers:
            raise ValueError("Sequential needs at least one layer, e.g. Sequential(Linear(3, 1)).")
        for index, layer in enumerate(layers):
            if not _is_layer(layer):
                raise TypeError(
                    f"layer {index} must be a scratch.nn layer (Linear, ReLU, Sigmoid, Tanh, Softmax, Sequential "
                    f"or a Module with _forward/_backward); got {type(layer).__name__}."
                )
        self.layers = list(layers)  # _Layer.__init__ is skipped: params is a property over the layers
        dtypes = {p.dtype for p in self.parameters()}
        if len(dtypes) > 1:
            raise ValueError(f"all layers must share one dtype; got {sorted(map(str, dtypes))}.")
        self.dtype = dtypes.pop() if dtypes else np.dtype(np.float64)
        self._check_widths()

    def _check_widths(self):
        """Each layer's in_features equals the out_features of the last layer before it that has one."""
        previous = None  # (index, layer) of the last layer that sets the width
        for index, layer in enumerate(self.layers):
            width_in = getattr(layer, "in_features", None)
            if previous is not None and width_in is not None and width_in != previous[1].out_features:
                raise ValueError(
                    f"layer {index} ({type(layer).__name__} with in_features={width_in}) cannot follow layer "
                    f"{previous[0]} ({type(previous[1]).__name__} with out_features={previous[1].out_features}): "
                    f"the widths must chain."
                )
            if getattr(layer, "out_features", None) is not None:
                previous = (index, layer)

    @property
    def in_features(self):
        """The first Linear's in_features (activations keep the width); None without a Linear."""
        widths = (getattr(layer, "in_features", None) for layer in self.layers)
        return next((w for w in widths if w is not None), None)

    @property
    def out_features(self):
        """The last Linear's out_features; None without a Linear."""
        widths = (getattr(layer, "out_features", None) for layer in reversed(self.layers))
        return next((w for w in widths if w is not None), None)

    # ---- the module protocol ------------------------------------------------------------
    def _submodules(self):
        return [(str(index), layer) for index, layer in enumerate(self.layers)]

    def _own_parameters(self):
        return {}

    @property
    def params(self):
        """{"0.weight": array, …}: every layer's live parameters, each once, in layer order."""
        return dict(self.named_parameters())

    def config(self):
        """{"layers": [each layer's describe()]}; a layer used again is {"same_as": its first index}."""
        first = {}
        for index, layer in enumerate(self.layers):
            first.setdefault(id(layer), index)
        return {
            "layers": [
                layer.describe() if first[id(layer)] == index else {"same_as": first[id(layer)]}
                for index, layer in enumerate(self.layers)
            ]
        }

    @classmethod
    def from_config(cls, config):
        descriptions = config.get("layers") if isinstance(config, dict) else None
        if not isinstance(descriptions, list):
            raise ValueError(f"a Sequential's config is {{'layers': [layer descriptions]}}; got {config!r}.")
        layers = []
        for description in descriptions:
            same_as = description.get("same_as") if isinstance(description, dict) else None
            if same_as is None:
                layers.append(Module.from_description(description))
            elif type(same_as) is int and 0 <= same_as < len(layers):
                layers.append(layers[same_as])  # one layer used twice stays one layer
            else:
                raise ValueError(f"same_as must name an earlier layer (0…{len(layers) - 1}); got {same_as!r}.")
        return cls(*layers)

    # ---- forward and backward -----------------------------------------------------------
    def _check_input(self, x):
        width = self.in_features
        if width is not None and (x.ndim == 0 or x.shape[-1] != width):
            raise ValueError(f"Sequential expects x of shape (*, {width}), e.g. (N, {width}); got x of shape {x.shape}.")
        return as_dtype(x, self.dtype, "x")

    def _forward(self, x):
        """y = fₖ(… f₀(x)), and the tape [ctx₀, …, ctxₖ] of each child's call."""
        tape = []
        for layer in self.layers:
            x, ctx = layer._forward(x)
            tape.append(ctx)
        return x, tape

    def _backward(self, tape, g, need_input_grad=True):
        """(∂L/∂x or None, {name: ∂L/∂param}) from g = ∂L/∂y, the children taken in reverse.

        A parameter reached by several calls gets the sum of their gradients; the first child
        skips its ∂L/∂x (Linear's g W) when the caller does not need it.
        """
        names = {id(p): name for name, p in self.named_parameters()}
        grads = {}
        for index in reversed(range(len(self.layers))):
            layer = self.layers[index]
            g, layer_grads = layer._backward(tape[index], g, need_input_grad or index > 0)
            layer_params = layer.params
            for name, grad in layer_grads.items():
                key = names[id(layer_params[name])]
                grads[key] = grads[key] + grad if key in grads else grad
        return g, {name: grads[name] for name in names.values()}

    def backward(self, grad_out):
        """Fresh gradients {name: ∂L/∂param}, keyed and shaped like ``params``, for the last forward.

        grad_out = ∂L/∂output, the shape of the last forward's output. Nothing accumulates
        across calls; within one pass, a reused layer's gradients are summed.
        """
        return self._backward_last(grad_out, need_input_grad=False)[1]

    # ---- a list of layers ---------------------------------------------------------------
    def __getitem__(self, index):
        """A layer, or for a slice a new Sequential sharing those layers (renumbered from 0)."""
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    # ---- changing the list: PyTorch's methods, each layer, width and dtype checked again -----
    def _set_layers(self, layers):
        """Self holding ``layers``, after the checks of ``Sequential(*layers)``; unchanged if they fail."""
        checked = Sequential(*layers)
        self.layers, self.dtype, self._ctx = checked.layers, checked.dtype, None
        return self

    def append(self, module):
        """Add ``module`` at the end; returns self."""
        return self._set_layers([*self.layers, module])

    def insert(self, index, module):
        """Put ``module`` before position ``index`` (−len ≤ index ≤ len, negative from the end); returns self."""
        n = len(self.layers)
        if isinstance(index, bool) or not isinstance(index, numbers.Integral) or not -n <= index <= n:
            raise IndexError(f"index must be an integer in [{-n}, {n}] for a Sequential of {n} layers; got {index!r}.")
        index = int(index) + n if index < 0 else int(index)
        return self._set_layers([*self.layers[:index], module, *self.layers[index:]])

    def extend(self, sequential):
        """Add every layer of ``sequential`` (a Sequential or a list of layers) at the end; returns self."""
        if isinstance(sequential, Module) and not isinstance(sequential, Sequential):
            raise TypeError(f"extend takes a Sequential or a list of layers; got {sequential!r} (append adds one layer).")
        return self._set_layers([*self.layers, *sequential])

    def __add__(self, other):
        """A new Sequential of self's layers, then other's (the same layer objects)."""
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but {type(other).__name__} is given.")
        return Sequential(*self.layers, *other.layers)

    def __iadd__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but {type(other).__name__} is given.")
        return self.extend(other)

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self):
        """PyTorch's layout: one "(index): layer" line each, a nested Sequential indented."""
        lines = [f"({name}): {layer!r}".replace("\n", "\n  ") for name, layer in self._submodules()]
        return "Sequential(\n" + "".join(f"  {line}\n" for line in lines) + ")"

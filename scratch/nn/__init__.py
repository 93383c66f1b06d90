"""torch.nn in miniature: Module, layers, Sequential, loss modules, and Network (a net trained like a model).

The lecture's two stacks (section 6)::

    >>> from scratch.nn import Sequential, Linear, Softmax, MSELoss, CrossEntropyLoss, Network
    >>> regression = Network(Sequential(Linear(3, 1, seed=0)), MSELoss())     # dense(units=1)
    >>> net = Sequential(Linear(4, 3, seed=0), Softmax(dim=-1))               # dense(units=3) + softmax
    >>> net
    Sequential(
      (0): Linear(in_features=4, out_features=3, bias=True)
      (1): Softmax(dim=-1)
    )
    >>> classifier = Network(net, CrossEntropyLoss())
    >>> sorted(classifier.params), classifier.predict_proba([[5.1, 3.5, 1.4, 0.2]]).shape
    (['0.bias', '0.weight'], (1, 3))
"""

from scratch.nn.container import Sequential
from scratch.nn.layers import Linear, ReLU, Sigmoid, Softmax, Tanh
from scratch.nn.loss import BCEWithLogitsLoss, CrossEntropyLoss, Loss, MSELoss
from scratch.nn.module import Module
from scratch.nn.network import Network

__all__ = [
    "Module", "Linear", "ReLU", "Sigmoid", "Tanh", "Softmax", "Sequential",
    "Loss", "MSELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "Network",
]

"""torch.nn on scratch: Module, Parameter, containers, layers, losses, functional and init."""

from scratch.torch.nn import functional, init
from scratch.torch.nn.containers import ModuleList, Sequential
from scratch.torch.nn.layers import Flatten, Identity, Linear, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from scratch.torch.nn.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from scratch.torch.nn.module import Module, Parameter

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "Flatten", "Identity", "Linear", "LogSoftmax",
           "MSELoss", "Module", "ModuleList", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax",
           "Tanh", "functional", "init"]

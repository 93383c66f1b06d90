"""An nn.Module subclass (slides 18-30): a two-layer network, its parameters, a DataLoader, a state dict."""
import os
import sys
import tempfile

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class TwoLayer(nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.hidden = nn.Linear(n_in, n_hidden)
        self.out = nn.Linear(n_hidden, n_out, bias=False)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x)))


model = TwoLayer(3, 4, 2)
print(model)
with torch.no_grad():                       # fixed initial values: the init draws differ from PyTorch's
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.linspace(-0.5, 0.5, p.numel()).reshape(p.shape) * (i + 1))
print([(name, tuple(p.shape)) for name, p in model.named_parameters()])
print("children", len(list(model.children())), "modules", len(list(model.modules())))

X = torch.linspace(-2, 2, 30).reshape(10, 3)
y = (X.sum(dim=1) > 0).long()
loader = DataLoader(TensorDataset(X, y), batch_size=4, shuffle=False)
optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.5)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=5)
# the lecture's loop, written out in each example: every script is a standalone PyTorch program
for epoch in range(5):
    model.train()
    total = 0.0
    for xb, yb in loader:
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(xb)
    scheduler.step()
    print("epoch", epoch, "mean loss", total / len(X), "lr", optimizer.param_groups[0]["lr"])

model.eval()
with torch.no_grad():
    logits = model(X)
    print("max", logits.max().item(), "min over classes", logits.min(dim=1).values[:3].tolist())
    print("accuracy", (logits.argmax(dim=1) == y).float().mean().item())

state = model.state_dict()
print(list(state.keys()))
path = os.path.join(tempfile.mkdtemp(), "model.pt")
torch.save(state, path)
again = TwoLayer(3, 4, 2)
print(again.load_state_dict(torch.load(path)))
print("same", all(torch.equal(a, b) for a, b in zip(again.parameters(), model.parameters())))
print("mse", F.mse_loss(again(X)[:, 0], X[:, 0]).item(), file=sys.stdout)

"""Softmax regression with nn.Sequential (slide 17): the worked batch of two, its gradient, training."""
import torch
from torch import nn

x = torch.tensor([[1.4], [4.5]])
y = torch.tensor([0, 1])
model = nn.Sequential(nn.Linear(1, 2))
with torch.no_grad():                       # w0 = 0.2, b0 = 0.1; w1 = -0.1, b1 = 0.05
    model[0].weight.copy_(torch.tensor([[0.2], [-0.1]]))
    model[0].bias.copy_(torch.tensor([0.1, 0.05]))
z = model(x)
print("z", z.tolist())
print("softmax", torch.softmax(z, dim=1).tolist())
loss = nn.CrossEntropyLoss()(z, y)
loss.backward()
print("loss", loss.item())
print("dL/dW", model[0].weight.grad.tolist(), "dL/db", model[0].bias.grad.tolist())
# the lecture's closed form X^T (softmax(Z) - Y) / N, by hand
Y = torch.zeros(2, 2)
Y[torch.arange(2), y] = 1.0
print("closed form", ((torch.softmax(z, dim=1) - Y).T @ x / 2).detach().tolist())

# three classes, four features, minibatches, a learning-rate schedule
torch.manual_seed(0)
features = torch.linspace(-1, 1, 24).reshape(6, 4)
labels = torch.tensor([0, 1, 2, 0, 1, 2])
model = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))
with torch.no_grad():
    model[0].weight.copy_(torch.arange(12.0).reshape(3, 4) / 20 - 0.3)
    model[0].bias.zero_()
optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9, weight_decay=1e-3, nesterov=True)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
nll = nn.NLLLoss()
# the lecture's loop, written out in each example: every script is a standalone PyTorch program
for epoch in range(30):
    for first in range(0, 6, 3):
        optimizer.zero_grad()
        p = model(features[first:first + 3])
        loss = nll(torch.log(p), labels[first:first + 3])
        loss.backward()
        optimizer.step()
    scheduler.step()
    if epoch % 10 == 9:
        print("epoch", epoch, "loss", loss.item(), "lr", scheduler.get_last_lr()[0])
with torch.no_grad():
    print("accuracy", (model(features).argmax(dim=1) == labels).float().mean().item())

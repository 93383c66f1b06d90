"""Logistic regression with nn.Sequential (slides 15-16 and 31-34): the worked batch of two, then training."""
import torch
from torch import nn, optim

x = torch.tensor([[1.5, 0.2], [4.1, 1.3]])
y = torch.tensor([[0.0], [1.0]])
model = nn.Sequential(nn.Linear(2, 1))
with torch.no_grad():                       # the slide's theta = [0.1 | 0.5, -0.1]
    model[0].weight.copy_(torch.tensor([[0.5, -0.1]]))
    model[0].bias.fill_(0.1)
print(model)
criterion = nn.BCEWithLogitsLoss()
optimizer = optim.SGD(model.parameters(), lr=0.01)
logits = model(x)
print("y_hat", torch.sigmoid(logits).flatten().tolist())
loss = criterion(logits, y)
optimizer.zero_grad()
loss.backward()
print("loss", loss.item())
print("grad", model[0].bias.grad.tolist(), model[0].weight.grad.flatten().tolist())
optimizer.step()
print("theta", model[0].bias.tolist(), model[0].weight.flatten().tolist())

# the same model trained 200 steps, momentum 0.9, with the probability loss BCELoss on a Sigmoid
model = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
with torch.no_grad():
    model[0].weight.zero_()
    model[0].bias.zero_()
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
criterion = nn.BCELoss()
# the lecture's loop, written out in each example: every script is a standalone PyTorch program
for epoch in range(200):
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    if epoch % 50 == 0:
        print("epoch", epoch, "loss", loss.item())
model.eval()
with torch.no_grad():
    print("p", model(x).flatten().tolist(), "predicted", (model(x) > 0.5).long().flatten().tolist())

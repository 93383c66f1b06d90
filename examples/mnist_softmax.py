"""The lecture's image demo (slides 35-41): softmax regression on MNIST with a DataLoader.

One epoch on the first 6,000 training images, then the test accuracy. The pixels come from
scratch.datasets (no download); the rest is plain PyTorch.
"""
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from scratch.datasets import load_mnist

mnist = load_mnist()
train = TensorDataset(torch.tensor(mnist.X_train[:6000] / np.float32(255)),
                      torch.tensor(mnist.y_train[:6000]).long())
test_x = torch.tensor(mnist.X_test / np.float32(255))
test_y = torch.tensor(mnist.y_test).long()
loader = DataLoader(train, batch_size=64, shuffle=False)

model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))   # the softmax is inside the loss
nn.init.zeros_(model[1].weight)
nn.init.zeros_(model[1].bias)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
# the lecture's loop, written out in each example: every script is a standalone PyTorch program
for epoch in range(1):
    model.train()
    for batch, (images, labels) in enumerate(loader):
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        if batch % 20 == 0:
            print("batch", batch, "loss", loss.item())
model.eval()
with torch.no_grad():
    accuracy = (model(test_x).argmax(dim=1) == test_y).float().mean().item()
print("test accuracy", accuracy)

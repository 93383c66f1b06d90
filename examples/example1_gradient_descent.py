"""Example 1 of the lecture (slides 9-14): autograd on z = 3x^2 + 2, then gradient descent by hand."""
import torch

# slide 9: y = x^2, z = 3y + 2, dz/dx = 6x
x = torch.tensor(2.0, requires_grad=True)
y = x**2
z = 3 * y + 2
y.retain_grad()
z.backward()
print("z", z.item(), "dz/dx", x.grad.item(), "dz/dy", y.grad.item())

# slides 10-14: one sample, y_hat = x*w + b, L = (y_hat - y)^2, five steps of w <- w - lr*dL/dw
x, y = torch.tensor(6.7), torch.tensor(9.1)
w = torch.tensor(-0.34, requires_grad=True)
b = torch.tensor(0.04, requires_grad=True)
lr = 0.01
for step in range(1, 6):
    y_hat = x * w + b
    loss = (y_hat - y) ** 2
    loss.backward()
    print("step", step, "y_hat", y_hat.item(), "loss", loss.item(), "dL/dw", w.grad.item(), "dL/db", b.grad.item())
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad.zero_()
    b.grad.zero_()
print("w", w.item(), "b", b.item())

"""Controllable generation: change what an *unconditional* generator draws by moving its noise.

A trained generator has no class input, yet its noise space has directions that make a digit more
of a 3 or more of an 8. A classifier finds them: raise the classifier's logit of the class you want
by gradient ascent on the noise z, with the generator and the classifier fixed. No labels were
needed to train the generator; the classifier brings them afterwards.

The catch (the GAN notes' warning): features that go together in the training data change
together. The noise moves wherever the classifier's gradient points, so asking for a class brings
that class's other habits along (its thickness, its slant): ``ink`` measures one of them.
Taught in notebooks/next/conditional_dcgan.
"""
from __future__ import annotations

import torch

from .classifier import load_classifier
from .sampling import SIGNED, from_signed, to_signed


def ink(images: torch.Tensor) -> torch.Tensor:
    """The share of each image that is white stroke: its mean brightness in [0, 1], (B,)."""
    return from_signed(images.detach(), (0, 1)).flatten(1).mean(1)


def _draw(G, z: torch.Tensor) -> torch.Tensor:
    """G's images of z in [-1, 1], with the graph kept (so z can be moved), on the CPU."""
    return to_signed(G(z), getattr(G, "pixel_range", SIGNED)).cpu()


def steer(G, noise: torch.Tensor, target: int, steps: int = 10, step_size: float = 0.1,
          dataset: str = "mnist") -> dict:
    """Move ``noise`` (N, noise_dim) by ``steps`` gradient-ascent steps on the classifier's logit of ``target``.

    Each step: z <- z + step_size * d logit_target(G(z)) / dz. G is used in eval mode and neither
    network changes. Returns ``noise`` and ``images`` (in [-1, 1]) at the end, ``start`` (the
    images before), and ``classes`` (the classifier's verdict on the images after each step, a
    (steps + 1, N) tensor whose first row is the start).
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a whole number, 0 or more, got {steps!r}.")
    classifier = load_classifier(dataset)
    was_training = G.training
    G.eval()
    device = next(G.parameters()).device
    z = noise.detach().clone().to(device)
    classes = []
    try:
        for _ in range(steps + 1):
            z.requires_grad_(True)
            images = _draw(G, z)
            logits = classifier(images)
            classes.append(logits.argmax(1).detach())
            if len(classes) == 1:
                start = images.detach()
            if len(classes) > steps:
                break
            grad, = torch.autograd.grad(logits[:, target].sum(), z)
            z = (z + step_size * grad).detach()
    finally:
        G.train(was_training)
    return {"noise": z.detach(), "images": images.detach(), "start": start, "classes": torch.stack(classes)}


def steering_table(G, steps: int = 10, step_size: float = 0.1, n: int = 200, seed: int = 0,
                   dataset: str = "mnist", classes: int = 10) -> list[dict]:
    """Steer ``n`` seeded noise vectors towards each class in turn; one row per target class.

    Each row: ``target``; ``success``, the fraction of the starts that were *not* the target class
    and are after ``steps`` steps; ``moved``, the mean distance z travelled; ``pixels``, the mean
    root-mean-square change of the image (in [-1, 1] units: 2 would be black to white everywhere);
    and ``ink_change``, the mean change of ``ink`` (the correlated feature).
    """
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn(n, G.noise_dim, generator=generator)
    rows = []
    for target in range(classes):
        out = steer(G, noise, target, steps, step_size, dataset)
        others = out["classes"][0] != target
        reached = out["classes"][-1] == target
        rows.append({"target": target, "starts": int(others.sum()),
                     "success": float(reached[others].double().mean()) if others.any() else float("nan"),
                     "moved": float((out["noise"].cpu() - noise).norm(dim=1).mean()),
                     "pixels": float((out["images"] - out["start"]).square().flatten(1).mean(1).sqrt().mean()),
                     "ink_change": float((ink(out["images"]) - ink(out["start"])).mean())})
    return rows

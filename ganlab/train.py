"""The course's training step, and the loop that runs any GAN through its epochs.

``train_step`` is the course's step: one discriminator update, one generator update. ``fit``
drives a *game* (``ganlab.game``: its networks, optimizers and ``step``) through its epochs and
records a History; ``train_epoch`` is one pass over the batches. Everything around the loop
(checkpoints, quality scores, patience, the EMA generator, the dashboard) is a ``Hook`` that
``fit`` calls at three fixed points; ``ganlab.session.train`` puts the course's session together.
Taught in notebook 07.
"""
from __future__ import annotations

import time

import torch

from .config import Config
from .history import History
from .losses import fake_loss, real_loss
from .progress import ProgressBars


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite, so training stopped. Taught in notebook 07."""


def train_step(G, D, G_opt, D_opt, real_img, noise_dim: int, smoothing: float = 0.0):
    """Run one discriminator update and one generator update on a batch of real images.

    Returns a detached tensor (D loss, G loss, mean D(x), mean D(G(z))) that stays on the
    device, so the caller can add it up without waiting for the GPU. Taught in notebook 07.
    """
    batch_size = real_img.size(0)  # the last batch can be smaller than cfg.batch_size

    # 1. Discriminator: tell real images (label 1) from fakes (label 0).
    noise = torch.randn(batch_size, noise_dim, device=real_img.device)
    fake_img = G(noise)
    D_opt.zero_grad()
    D_pred_fake = D(fake_img.detach())  # detach: this step must not compute G's gradients
    D_fake_loss = fake_loss(D_pred_fake)
    D_pred_real = D(real_img)
    D_real_loss = real_loss(D_pred_real, smoothing)
    D_loss = (D_fake_loss + D_real_loss) / 2
    D_loss.backward()
    D_opt.step()

    # 2. Generator: make D call fresh fakes real (the non-saturating loss).
    G_opt.zero_grad()
    noise = torch.randn(batch_size, noise_dim, device=real_img.device)
    G_loss = real_loss(D(G(noise)))
    G_loss.backward()
    G_opt.step()

    return torch.stack([D_loss, G_loss,
                        torch.sigmoid(D_pred_real).mean(), torch.sigmoid(D_pred_fake).mean()]).detach()


def make_optimizers(cfg: Config, G, D):
    """Return (G_opt, D_opt): Adam with the course's lr and betas. Taught in notebook 06."""
    betas = (cfg.beta_1, cfg.beta_2)
    return (torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=betas),
            torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=betas))


class Hook:
    """One piece of the session around the loop. ``fit`` calls each method at a fixed point;
    override the ones you need (``ganlab.hooks`` has the course's)."""

    def after_step(self, game, step: int) -> None:
        """After every batch; ``step`` counts batches from 0 over the whole run."""

    def before_record(self, game) -> dict:
        """After an epoch's batches, before the epoch is recorded: return scores to record with it."""
        return {}

    def after_epoch(self, game, history: History) -> str | None:
        """After the epoch is recorded; return a sentence saying why to stop, or None to go on."""
        return None


def train_epoch(game, batches, epoch: int = 0, hooks=()) -> list[float]:
    """One pass over ``batches``: the game's step on each, stats summed on the device, read once.

    Returns the epoch's mean stats (for the DCGAN: D loss, G loss, D(x), D(G(z)); a game may add more,
    named by its ``stat_names``). Raises
    TrainingDiverged, naming the epoch and step, if a loss was NaN or infinite. Taught in notebook 07.
    """
    sums, first_bad_step = 0, torch.tensor(-1, device=game.device)
    for step, (real_img, labels) in enumerate(batches):
        stats = game.step(real_img.to(game.device), labels.to(game.device))
        for hook in hooks:
            hook.after_step(game, epoch * len(batches) + step)
        sums = sums + stats  # stays on the device: no waiting for the GPU
        is_new_bad = (first_bad_step < 0) & ~torch.isfinite(stats[:2]).all()
        first_bad_step = torch.where(is_new_bad, step, first_bad_step)
    means = (sums / len(batches)).tolist()  # the epoch's one sync
    if first_bad_step.item() >= 0:
        raise TrainingDiverged(f"Loss became NaN/inf in epoch {epoch + 1}, step {first_bad_step.item() + 1}: "
                               "training stopped. Try a smaller lr.")
    return means


def fit(game, batches, epochs: int, *, history: History | None = None, hooks=(),
        progress: bool = True) -> History:
    """Train ``game`` until ``epochs`` epochs are in ``history`` (a resumed run's, or a new one).

    After each epoch: the hooks' ``before_record`` scores, then one History entry (mean stats,
    seconds, the game's progress samples, the scores), one printed line, then the hooks'
    ``after_epoch``; the first sentence one of those returns stops training. Hooks run in the order
    given. Returns the History. Ctrl-C and TrainingDiverged pass through, and the ``history`` you
    passed in then holds every finished epoch (``ganlab.session.train`` does so). Taught in notebook 07.
    """
    if len(batches) == 0:
        raise ValueError("batches is empty: there is nothing to train on (a dataset smaller than one batch?).")
    history = History() if history is None else history
    bars = ProgressBars(progress)  # in a notebook, one line of text that every epoch's bar reuses
    try:
        for epoch in range(len(history), epochs):
            start = time.perf_counter()
            batches_shown = bars.wrap(batches, f"epoch {epoch + 1}/{epochs}")
            d_loss, g_loss, d_real, d_fake, *more = train_epoch(game, batches_shown, epoch, hooks)
            seconds = time.perf_counter() - start
            scores = {}
            for hook in hooks:
                scores.update(hook.before_record(game))
            extras = dict(zip(getattr(game, "stat_names", ())[4:], more))
            history.record(d_loss, g_loss, d_real, d_fake, seconds, game.progress_samples(), scores or None, extras)
            print(history.epoch_line(epochs))
            reasons = [reason for reason in [hook.after_epoch(game, history) for hook in hooks] if reason]
            if reasons:
                print(reasons[0])
                break
    finally:
        bars.close()
    return history

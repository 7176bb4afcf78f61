"""The training step of the course, and the loop around it that records, saves and resumes.

Taught in notebook 07.
"""
from __future__ import annotations

import copy
import functools
import os
import shutil
import time
from pathlib import Path

import torch
from tqdm.auto import tqdm

from .checkpoint import atomic_write, load_checkpoint, restore_rng, save_checkpoint
from .config import QUICK_EPOCHS, Config, announce_quick_mode, quick_mode
from .data import make_batches
from .history import History
from .losses import fake_loss, real_loss
from .ema import ema_decay_at, reestimate_batchnorm, update_ema
from .metrics import TRACK_SAMPLES, QualityTracker, to_tanh_range
from .models import Discriminator, Generator, generate, weights_init

#: How many images the fixed noise batch draws each epoch.
N_FIXED_SAMPLES = 64


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite: training stopped, the last good checkpoint was kept."""


def bars_disabled_by_env() -> bool:
    """True when ``TQDM_DISABLE`` is set: tqdm's notebook bar ignores it, so ganlab honours it."""
    return os.environ.get("TQDM_DISABLE", "").lower() not in ("", "0", "false")


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


def fixed_noise(cfg: Config, n: int = N_FIXED_SAMPLES) -> torch.Tensor:
    """The same n noise vectors every epoch (own seed), so sample grids show progress."""
    generator = torch.Generator().manual_seed(cfg.seed + 12345)
    return torch.randn(n, cfg.noise_dim, generator=generator).to(cfg.torch_device)


def best_checkpoint_path(checkpoint) -> Path:
    """Where ``keep_best`` keeps the lowest-distance epoch: ``checkpoint.pt`` -> ``checkpoint_best.pt``."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(f"{checkpoint.stem}_best{checkpoint.suffix}")


def _check_stopping_args(track: int, keep_best: bool, patience, checkpoint) -> None:
    if isinstance(track, bool) or not isinstance(track, int) or track < 0:
        raise ValueError(f"track must be a whole number of images (0 turns tracking off), got {track!r}.")
    if patience is not None and (isinstance(patience, bool) or not isinstance(patience, int) or patience <= 0):
        raise ValueError(f"patience must be a positive whole number of epochs or None, got {patience!r}.")
    if (keep_best or patience) and not track:
        raise ValueError("keep_best and patience judge epochs by the tracked Frechet distance: "
                         "leave track at 2000 (or any n > 0).")
    if keep_best and checkpoint is None:
        raise ValueError("keep_best=True needs checkpoint=PATH: the best epoch is saved beside it.")


#: Config fields a resumed run may change; any other difference from the checkpoint is refused.
RESUMABLE_CHANGES = ("epochs", "device", "data_dir", "fast")


def _check_resume_config(cfg: Config, saved: dict, path) -> None:
    saved_cfg = Config.from_dict(saved, device="auto")
    differing = [name for name, value in saved_cfg.to_dict().items()
                 if name not in RESUMABLE_CHANGES and getattr(cfg, name) != value]
    if differing:
        was = ", ".join(f"{name}={getattr(saved_cfg, name)!r}" for name in differing)
        now = ", ".join(f"{name}={getattr(cfg, name)!r}" for name in differing)
        raise ValueError(f"{path} was trained with {was}, not {now}: resume with the same values "
                         f"(only {', '.join(RESUMABLE_CHANGES)} may change).")


def _make_tracker(cfg: Config, n: int, required: bool):
    """The per-epoch QualityTracker, or None (with one line saying why) when it cannot be built."""
    if not n:
        return None
    try:
        return QualityTracker(cfg, n)
    except (FileNotFoundError, ValueError) as error:  # no test set or classifier for this data
        if required:
            raise
        print(f"Quality tracking is off: {error}")
        return None


def train(cfg: Config | None = None, *, G=None, D=None, batches=None, checkpoint=None,
          resume=None, progress: bool = True, live: bool = False, on_epoch=None,
          track: int = TRACK_SAMPLES, keep_best: bool = False, patience: int | None = None) -> History:
    """Train G and D for ``cfg.epochs`` epochs and return the per-epoch History.

    G and D are built (seeded, ``weights_init``) when not given; ``batches`` defaults to
    ``make_batches(cfg)``. After every epoch the full state is saved to ``checkpoint`` (if a
    path is given); ``resume=path`` continues a saved run where it stopped. Ctrl-C returns the
    history so far and leaves the last checkpoint whole; a NaN loss raises TrainingDiverged
    naming the epoch and step. Losses are summed on the device and read once per epoch.
    ``on_epoch(history)`` is called after each epoch; ``live=True`` in a notebook shows a
    dashboard (losses and samples) updated in place, and does nothing elsewhere.

    Quality, the stopping criterion: after each epoch ``track`` images (0: off) are scored
    by ``ganlab.metrics`` (Frechet distance, modes, confidence) into the History.
    ``keep_best=True`` also saves the epoch with the lowest distance to
    ``best_checkpoint_path(checkpoint)``; ``patience=N`` stops once N epochs in a row have
    not beaten it. With ``cfg.ema_decay`` > 0, samples, scores and ``generator_from_checkpoint``
    use the weight-averaged G (``ganlab.ema``). A resumed run must use the checkpoint's Config
    (epochs, device, data_dir and fast may change).
    Taught in notebook 07.
    """
    cfg = cfg or Config()
    _check_stopping_args(track, keep_best, patience, checkpoint or resume)
    device = cfg.torch_device
    epochs = cfg.epochs
    if quick_mode() and epochs > QUICK_EPOCHS:
        announce_quick_mode()
        epochs = QUICK_EPOCHS
    torch.manual_seed(cfg.seed)
    init = functools.partial(weights_init, bn_gamma_mean=cfg.bn_gamma_mean)
    if G is None:
        G = Generator(cfg.noise_dim).to(device).apply(init)
    if D is None:
        D = Discriminator().to(device).apply(init)
    G.to(device).train()
    D.to(device).train()
    G_ema = copy.deepcopy(G) if cfg.ema_decay > 0 else None
    G_opt, D_opt = make_optimizers(cfg, G, D)
    history, start_epoch = History(), 0
    if resume is not None:
        state = load_checkpoint(resume, map_location=device)
        _check_resume_config(cfg, state["config"], resume)
        G.load_state_dict(state["G"])
        D.load_state_dict(state["D"])
        if G_ema is not None:
            G_ema.load_state_dict(state.get("G_ema", state["G"]))
        G_opt.load_state_dict(state["G_opt"])
        D_opt.load_state_dict(state["D_opt"])
        history, start_epoch = History.from_dict(state["history"]), state["epoch"]
        restore_rng(state)
        checkpoint = checkpoint or resume
        print(f"Resuming from {resume} after epoch {start_epoch}.")
    tracker = _make_tracker(cfg, track, required=keep_best or bool(patience))
    if batches is None:
        batches = make_batches(cfg)
    noise = fixed_noise(cfg)
    sampler = G_ema if G_ema is not None else G  # the generator whose images are shown and scored
    callbacks = [on_epoch] if on_epoch else []
    if live:
        from .dashboard import LiveDashboard, in_notebook  # the one upward import: opt-in display
        if in_notebook():
            callbacks.append(LiveDashboard().update)

    epoch = start_epoch
    try:
        for epoch in range(start_epoch, epochs):
            start = time.perf_counter()
            sums = torch.zeros(4, device=device)
            first_bad_step = torch.tensor(-1, device=device)
            bar = tqdm(batches, desc=f"epoch {epoch + 1}/{epochs}", leave=False,
                       disable=not progress or bars_disabled_by_env())
            for step, (real_img, _) in enumerate(bar):
                stats = train_step(G, D, G_opt, D_opt, real_img.to(device), cfg.noise_dim,
                                   cfg.label_smoothing)
                if G_ema is not None:
                    update_ema(G_ema, G, ema_decay_at(epoch * len(batches) + step, cfg.ema_decay))
                sums += stats
                is_new_bad = (first_bad_step < 0) & ~torch.isfinite(stats[:2]).all()
                first_bad_step = torch.where(is_new_bad, step, first_bad_step)
            d_loss, g_loss, d_real, d_fake = (sums / len(batches)).tolist()  # the epoch's one sync
            if first_bad_step.item() >= 0:
                kept = f"; the last good checkpoint is {checkpoint}" if checkpoint and epoch else ""
                raise TrainingDiverged(
                    f"Loss became NaN/inf in epoch {epoch + 1}, step {first_bad_step.item() + 1}: "
                    f"training stopped{kept}. Try a smaller lr.")
            seconds = time.perf_counter() - start
            if G_ema is not None:
                reestimate_batchnorm(G_ema, seed=cfg.seed)
            scores = tracker(sampler) if tracker is not None else None  # before recording: Ctrl-C safe
            history.record(d_loss, g_loss, d_real, d_fake, seconds,
                           to_tanh_range(generate(sampler, noise), cfg.normalize))
            line = (f"epoch {epoch + 1:>2}/{epochs}  D loss {d_loss:.3f}  G loss {g_loss:.3f}  "
                    f"D(x) {d_real:.2f}  D(G(z)) {d_fake:.2f}  {seconds:.1f} s")
            if scores is not None:
                history.record_quality(scores)
                line += f"  | distance {history.frechet[-1]:.1f}  modes {history.modes[-1]:.0f}"
            print(line)
            if checkpoint is not None:
                save_checkpoint(checkpoint, G=G, D=D, G_opt=G_opt, D_opt=D_opt, cfg=cfg,
                                history=history, epoch=epoch + 1, G_ema=G_ema)
                if keep_best and history.epochs_since_best() == 0:
                    atomic_write(best_checkpoint_path(checkpoint),
                                 lambda tmp: shutil.copyfile(checkpoint, tmp))
            for callback in callbacks:
                callback(history)
            if patience and history.epochs_since_best() >= patience:
                best = history.best_epoch()
                print(f"Stopping early after epoch {epoch + 1}: the distance has not improved for "
                      f"{patience} epochs (best {history.frechet[best]:.1f} at epoch {best + 1}).")
                break
    except KeyboardInterrupt:
        where = f"; the checkpoint of epoch {len(history)} at {checkpoint} is intact" if checkpoint else ""
        print(f"Interrupted during epoch {epoch + 1}: returning the {len(history)} finished epochs{where}.")
    return history


def default_checkpoint_path(cfg: Config, out_dir="runs") -> Path:
    """Where the command line keeps a run: ``runs/<dataset>/checkpoint.pt``."""
    return Path(out_dir) / cfg.dataset / "checkpoint.pt"

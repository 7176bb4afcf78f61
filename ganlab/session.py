"""``train(cfg)``: a GAN (the course's DCGAN unless ``cfg.model`` says otherwise), trained by ``fit``
with the session a learner asks for.

This module only assembles: the game (``ganlab.games.make_game``), its batches, a resumed History,
and the hooks (``ganlab.hooks``) for checkpoints, quality scores, keep-best, patience, the EMA
generator and the live dashboard, in that order. The loop itself is ``fit`` (``from ganlab.train
import fit``; ``ganlab.train`` on its own is this function). Taught in notebook 07.
"""
from __future__ import annotations

from pathlib import Path

from .checkpoint import best_checkpoint_path, load_checkpoint
from .config import QUICK_EPOCHS, Config, announce_quick_mode, quick_mode
from .data import make_batches
from .detect import detector_hook
from .games import make_game
from .history import History
from .hooks import AverageGenerator, EachEpoch, SaveCheckpoints, ScoreEachEpoch, StopWhenStale, check_resumable
from .hooks import resume as resume_run
from .metrics import TRACK_SAMPLES, QualityTracker
from .train import TrainingDiverged, fit


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


def _check_overwrite(checkpoint, resume, overwrite: bool) -> None:
    """Refuse, in one line, to replace a saved run that the caller did not ask to replace."""
    if checkpoint is None or overwrite or (resume is not None and Path(resume) == Path(checkpoint)):
        return
    existing = [path for path in (Path(checkpoint), best_checkpoint_path(checkpoint)) if path.exists()]
    if existing:
        raise FileExistsError(f"{existing[0]} exists: pass resume={str(checkpoint)!r} to continue that run, "
                              "overwrite=True to start a new one in its place, or another checkpoint path.")


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


def _live_dashboard(checkpoint, keep_best: bool):
    """The dashboard's update function inside a notebook (its place shown already), else None."""
    from .dashboard import LiveDashboard
    from .progress import in_notebook

    if not in_notebook():
        return None
    dashboard = LiveDashboard(checkpoint, keep_best)
    dashboard.start()  # above the epoch lines, so they do not split around the picture
    return dashboard.update


def _report_interrupt(history: History, saver) -> None:
    """Say truthfully what Ctrl-C left, and keep ``history`` to the epochs the checkpoint holds."""
    if saver is not None:
        del history[saver.saved_epoch:]  # an epoch recorded but not yet saved is not kept
        kept = (f"the checkpoint of epoch {saver.saved_epoch} at {saver.path} is intact" if saver.saved_epoch
                else f"no epoch finished, so nothing was saved to {saver.path}")
    else:
        kept = "no checkpoint was asked for"
    history.interrupted = True
    print(f"Interrupted during epoch {len(history) + 1}: returning the {len(history)} finished epochs; {kept}.")


def train(cfg: Config | None = None, *, G=None, D=None, batches=None, checkpoint=None,
          resume=None, progress: bool = True, live: bool = False, on_epoch=None,
          track: int = TRACK_SAMPLES, keep_best: bool = False, patience: int | None = None,
          overwrite: bool = False, track_detector: bool = False) -> History:
    """Train G and D for ``cfg.epochs`` epochs and return the per-epoch History.

    The GAN is ``cfg.model`` (``ganlab.games``: the course's DCGAN by default). G and D are built
    (seeded, ``weights_init``) when not given; ``batches`` defaults to
    ``make_batches(cfg)``. After every epoch the full state is saved to ``checkpoint`` (if a
    path is given); ``resume=path`` continues a saved run where it stopped. A checkpoint that
    already exists is not replaced unless ``overwrite=True`` (FileExistsError says so). Ctrl-C
    returns the epochs saved so far (all finished ones without a checkpoint), with
    ``history.interrupted`` True, and leaves the last checkpoint whole; a NaN loss raises
    TrainingDiverged naming the epoch and step. ``on_epoch(history)`` is called after each epoch; ``live=True``
    in a notebook shows a dashboard (losses and samples) updated in place, with ``diagnose``'s warnings
    under it as soon as they appear, and does nothing elsewhere.

    Quality, the stopping criterion: after each epoch ``track`` images (0: off) are scored
    by ``ganlab.metrics`` (Frechet distance, modes, confidence) into the History.
    ``keep_best=True`` also saves the epoch with the lowest distance to
    ``best_checkpoint_path(checkpoint)``; ``patience=N`` stops once N epochs in a row have
    not beaten it. ``track_detector=True`` also records, per epoch, D's AUC and a fresh detector's
    held-out AUC on held-out real images against fresh fakes (``ganlab.detect``; the History's extras
    ``d_auc``, ``d_auc_training`` and ``detector_auc``): a quality measure for any images (about 1 s an
    MNIST epoch on a 2-core CPU). Off by default: where a classifier exists (MNIST, Fashion-MNIST) the
    distance says more (the fresh detector read 1.000 nearly every epoch of a 20-epoch MNIST run).
    With ``cfg.ema_decay`` > 0, samples, scores and ``generator_from_checkpoint``
    use the weight-averaged G (``ganlab.ema``). A resumed run must use the checkpoint's Config
    (epochs, device, data_dir and batches_on_device may change).
    Taught in notebook 07.
    """
    cfg = cfg or Config()
    _check_stopping_args(track, keep_best, patience, checkpoint or resume)
    _check_overwrite(checkpoint, resume, overwrite)
    saved = load_checkpoint(resume, map_location=cfg.torch_device) if resume is not None else None
    if saved is not None:  # refuse another game or recipe before anything slow is built
        check_resumable(saved, cfg, cfg.model, resume)
    epochs = cfg.epochs
    if quick_mode() and epochs > QUICK_EPOCHS:
        announce_quick_mode()
        epochs = QUICK_EPOCHS
    game = make_game(cfg, G, D)
    hooks = [AverageGenerator(game, cfg.ema_decay, cfg.seed)] if cfg.ema_decay > 0 else []
    tracker = _make_tracker(cfg, track, required=keep_best or bool(patience))
    if tracker is not None:
        hooks.append(ScoreEachEpoch(tracker))
    if track_detector:
        hooks.append(detector_hook(cfg))
    checkpoint = checkpoint or resume
    saver = SaveCheckpoints(checkpoint, cfg, keep_best) if checkpoint is not None else None
    hooks += [saver] if saver else []
    callbacks = [on_epoch, _live_dashboard(checkpoint, keep_best) if live else None]
    hooks += [EachEpoch(callback) for callback in callbacks if callback]
    if patience:
        hooks.append(StopWhenStale(patience))
    if batches is None:
        batches = make_batches(cfg)
    # Last before the loop: resuming restores the random streams, and nothing may draw from them after.
    history = resume_run(game, saved, resume) if saved is not None else History()
    if saver and resume is not None and Path(resume) == Path(checkpoint):
        saver.saved_epoch = len(history)  # the file already holds these epochs
    try:
        fit(game, batches, epochs, history=history, hooks=hooks, progress=progress)
    except KeyboardInterrupt:
        _report_interrupt(history, saver)
    except TrainingDiverged as error:
        if saver and saver.saved_epoch:
            raise TrainingDiverged(f"{error} The last good checkpoint is {checkpoint} "
                                   f"(epoch {saver.saved_epoch}).") from None
        raise
    return history

"""The session around the training loop, one hook each: checkpoints, scores, patience, EMA, callbacks.

``fit`` (``ganlab.train``) calls every hook after each step, before each epoch is recorded and
after it; ``ganlab.session.train`` picks the hooks a run asks for. Each hook does one job and
any game can use it. Taught in notebook 07.
"""
from __future__ import annotations

import copy
import shutil
from pathlib import Path

from .checkpoint import atomic_write, best_checkpoint_path, restore_rng, save_checkpoint
from .config import FAMILY_RECIPE, Config
from .ema import ema_decay_at, reestimate_batchnorm, update_ema
from .history import History
from .train import Hook


class AverageGenerator(Hook):
    """Keep ``game.G_ema``, a moving average of G's weights, as the generator that is shown and scored.

    Making this hook gives the game its ``G_ema`` (a copy of G), so pass it to ``fit`` too, and
    first: later hooks score and save ``G_ema``. After every step it moves towards G (with the
    ramped decay of ``ema_decay_at``); before each epoch is recorded its BatchNorm statistics are
    re-estimated for its own weights (``ganlab.ema``).
    """

    def __init__(self, game, decay: float, seed: int = 0):
        self.decay, self.seed = decay, seed
        game.G_ema = copy.deepcopy(game.G)

    def after_step(self, game, step: int) -> None:
        update_ema(game.G_ema, game.G, ema_decay_at(step, self.decay))

    def before_record(self, game) -> dict:
        reestimate_batchnorm(game.G_ema, seed=self.seed)
        return {}


class ScoreEachEpoch(Hook):
    """Score the sampling generator before each epoch is recorded; ``score(G)`` returns the
    History's quality scores (``ganlab.metrics.QualityTracker`` does)."""

    def __init__(self, score):
        self.score = score

    def before_record(self, game) -> dict:
        return self.score(game.sampling_generator)


class SaveCheckpoints(Hook):
    """Save the whole run to ``path`` after every epoch (atomically); with ``keep_best``, also copy
    the epoch with the lowest distance to ``best_checkpoint_path(path)``."""

    def __init__(self, path, cfg: Config, keep_best: bool = False):
        self.path, self.cfg, self.keep_best = Path(path), cfg, keep_best
        self.saved_epoch = 0  # the epoch the file at ``path`` holds, once this run has saved one

    def after_epoch(self, game, history: History) -> None:
        save_checkpoint(self.path, cfg=self.cfg, history=history, epoch=len(history), game=game.name,
                        **game.parts())
        self.saved_epoch = len(history)
        if self.keep_best and history.epochs_since_best() == 0:
            atomic_write(best_checkpoint_path(self.path), lambda tmp: shutil.copyfile(self.path, tmp))


class StopWhenStale(Hook):
    """Stop once ``patience`` scored epochs in a row have not beaten the best distance."""

    def __init__(self, patience: int):
        self.patience = patience

    def after_epoch(self, game, history: History) -> str | None:
        if history.epochs_since_best() < self.patience:
            return None
        best = history.best_epoch()
        return (f"Stopping early after epoch {len(history)}: the distance has not improved for "
                f"{self.patience} epochs (best {history.frechet[best]:.1f} at epoch {best + 1}).")


class EachEpoch(Hook):
    """Call ``callback(history)`` after every epoch (``train``'s ``on_epoch``, the live dashboard)."""

    def __init__(self, callback):
        self.callback = callback

    def after_epoch(self, game, history: History) -> None:
        self.callback(history)


#: Config fields a resumed run may change; any other difference from the checkpoint is refused.
RESUMABLE_CHANGES = ("epochs", "device", "data_dir", "batches_on_device", "speedups")


def check_resume_config(cfg: Config, saved: dict, path) -> None:
    """Refuse, in one line, to resume a checkpoint with a different recipe."""
    saved_cfg = Config.from_dict(saved, device="auto")
    differing = [name for name, value in saved_cfg.to_dict().items()
                 if name not in RESUMABLE_CHANGES and getattr(cfg, name) != value]
    if differing:
        was = ", ".join(f"{name}={getattr(saved_cfg, name)!r}" for name in differing)
        now = ", ".join(f"{name}={getattr(cfg, name)!r}" for name in differing)
        hint = ""
        if set(differing) <= set(FAMILY_RECIPE):  # fields with a command-line flag: say how to pass the saved values
            values = {name: getattr(saved_cfg, name) for name in differing}
            passed = ", ".join(f"{name}={value!r}" for name, value in values.items())
            flags = " ".join(f"--{name.replace('_', '-')} {value:g}" for name, value in values.items())
            before = saved_cfg.model == "dcgan" and all(FAMILY_RECIPE[name] == value for name, value in values.items())
            hint = (" It has the DCGAN's defaults from before the recipe study:" if before else " To resume it,") + \
                f" pass Config({passed}), or {flags}."
        raise ValueError(f"{path} was trained with {was}, not {now}: resume with the same values "
                         f"(only {', '.join(RESUMABLE_CHANGES)} may change).{hint}")


def check_resumable(state: dict, cfg: Config, game_name: str, path) -> None:
    """Refuse, in one line, a checkpoint of another kind of GAN or of another recipe."""
    saved_game = state.get("game", "dcgan")
    if saved_game != game_name:
        raise ValueError(f"{path} holds a {saved_game} run, not {game_name}: resume it with the game that "
                         "trained it.")
    check_resume_config(cfg, state["config"], path)


def resume(game, state: dict, path) -> History:
    """Load a checkpoint's ``state`` (read from ``path``, checked by ``check_resumable``) into ``game``,
    restore the random streams, and return its History. Call it last before ``fit``: nothing may
    draw random numbers after it."""
    game.load_parts(state, path)
    restore_rng(state)
    print(f"Resuming from {path} after epoch {state['epoch']}.")
    return History.from_dict(state.get("history", {}))

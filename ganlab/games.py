"""Every kind of GAN ganlab trains, by name, and their networks rebuilt from a checkpoint.

``Config.model`` names one: "dcgan" (the course's, ``ganlab.game``), "cdcgan" (conditional,
``ganlab.conditional``), "wgan-gp" (``ganlab.wgan``), "mlp" (``ganlab.mlp``) and "dcgan64" (64x64 colour,
``ganlab.dcgan64``, on a folder of your own images); ``Config.bug``
switches one classic bug into the DCGAN (``ganlab.clinic``). ``make_game``
builds its game for ``fit``; ``generator_from_checkpoint`` rebuilds the trained generator of any
of them. Taught in notebook 07 (``generator_from_checkpoint``) and notebooks/next/.
"""
from __future__ import annotations

import json

import torch

from .checkpoint import load_checkpoint, load_part
from .clinic import ClinicDCGAN
from .conditional import ConditionalDCGAN
from .config import Config
from .dcgan64 import DCGAN64
from .game import DCGAN
from .history import REFERENCE_RUNS
from .mlp import MLPGAN
from .speed import speed_up
from .wgan import WGANGP

#: Config.model -> the game class that trains it.
GAMES = {"dcgan": DCGAN, "cdcgan": ConditionalDCGAN, "wgan-gp": WGANGP, "mlp": MLPGAN, "dcgan64": DCGAN64}


def make_game(cfg: Config, G=None, D=None):
    """The game ``cfg.model`` names (with ``cfg.bug`` in it, for the clinic), with its networks built
    (seeded) unless G and D are given."""
    return (ClinicDCGAN if cfg.bug else GAMES[cfg.model])(cfg, G, D)


def _networks(cfg: Config):
    """Untrained (G, D) of ``cfg.model``, built without moving any random stream."""
    with torch.random.fork_rng(devices=[]):
        game = make_game(Config.from_dict(cfg.to_dict(), device="cpu", speedups=False))
    return game.G, game.D


def saved_config(state: dict) -> Config:
    """The Config a checkpoint was trained with, on device "auto"; older checkpoints name their game apart."""
    values = {"model": state.get("game", "dcgan"), **state["config"]}
    return Config.from_dict(values, device="auto")


def generator_from_checkpoint(path, device="cpu"):
    """Rebuild the trained generator of a checkpoint, in eval mode, with its Config: (G, cfg).

    Any of ganlab's GANs (``cfg.model``); the weight-averaged generator when the run kept one
    (``Config.ema_decay``). The Config's device becomes "auto": a run saved on a GPU machine loads on
    a laptop too. On a CPU it gets the run's ``speedups`` (``ganlab.speed``), so its images match the
    trained G's exactly. Taught in notebook 07.
    """
    state = load_checkpoint(path, map_location=device)
    cfg = saved_config(state)
    G, _ = _networks(cfg)
    G = G.to(device)
    load_part(G, state.get("G_ema", state["G"]), path, "generator")
    G.pixel_range = cfg.pixel_range
    if cfg.speedups and torch.device(device).type == "cpu":
        speed_up(G)  # as it was trained: the same numbers as the G that training left
    return G.eval(), cfg


def discriminator_from_checkpoint(path, device="cpu"):
    """Rebuild the trained discriminator (or critic) of a checkpoint, in eval mode."""
    state = load_checkpoint(path, map_location=device)
    _, D = _networks(saved_config(state))
    D = D.to(device)
    load_part(D, state["D"], path, "discriminator")
    return D.eval()


def reference_generator(dataset: str = "mnist", device="cpu"):
    """The generator of ganlab's shipped known-good run (``ganlab.history.reference_run``), in eval mode.

    "mnist-ema" is ``make train``'s 20-epoch run of the default recipe, its weight-averaged generator;
    "mnist" a run of the family's recipe, its last weights (``reference_run`` says which is which, and which
    notebook uses which). Weights stored
    as float16, loaded as float32, so a notebook can show or steer a trained DCGAN without training one.
    Taught in notebooks/next/.
    """
    path = REFERENCE_RUNS / f"{dataset}_G.pt"
    if not path.is_file():
        shipped = sorted(p.stem.removesuffix("_G") for p in REFERENCE_RUNS.glob("*_G.pt"))
        raise FileNotFoundError(f"No reference generator for {dataset!r}: ganlab ships {', '.join(shipped) or 'none'}.")
    cfg = Config.from_dict(json.loads((REFERENCE_RUNS / f"{dataset}.json").read_text())["config"], device="auto")
    G, _ = _networks(cfg)
    load_part(G, torch.load(path, map_location="cpu", weights_only=True), path, "generator")
    G.pixel_range = cfg.pixel_range
    G = G.to(device)
    if cfg.speedups and torch.device(device).type == "cpu":
        speed_up(G)
    return G.eval()

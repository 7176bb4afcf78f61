"""ganlab: the shared code of the DCGAN teaching notebooks (MNIST digits, PyTorch).

This face re-exports what the notebooks use; each name's docstring ends by saying which
notebook teaches it. Everything else is imported from its module (``ganlab.metrics``, ...).
The modules, bottom to top (each imports only from those before it): config, sampling, history, idx;
data, models, losses, ema, speed; train (the loop), checkpoint; game (a GAN the loop drives), conditional,
wgan, mlp, games (all of them by name), hooks;
classifier, metrics; viz, dashboard, explorer, diagnose, notebook; session (``train``); __main__.
"""
from .checkpoint import best_checkpoint_path
from .config import Config, resolve_device
from .dashboard import progress_animation
from .data import CLASS_NAMES, DeviceBatches, dataset_root, load_dataset, make_batches, make_loader, make_transform
from .diagnose import diagnose
from .explorer import latent_explorer, show_nearest_real
from .games import generator_from_checkpoint
from .history import History, reference_run
from .losses import fake_loss, real_loss
from .metrics import evaluate, reference
from .models import (
                     Discriminator,
                     Generator,
                     disc_block,
                     gen_block,
                     generate,
                     get_disc_block,
                     get_gen_block,
                     weights_init,
)
from .session import train
from .train import make_optimizers, train_epoch, train_step
from .viz import plot_losses, plot_quality, show_progress, show_tensor_images

__version__ = "0.2.0"

__all__ = [
    "CLASS_NAMES", "Config", "DeviceBatches", "Discriminator", "Generator", "History", "best_checkpoint_path",
    "dataset_root", "diagnose", "disc_block", "evaluate", "fake_loss", "gen_block", "generate",
    "generator_from_checkpoint", "get_disc_block", "get_gen_block", "latent_explorer",
    "load_dataset", "make_batches", "make_loader", "make_optimizers", "make_transform", "plot_losses",
    "plot_quality", "progress_animation", "real_loss", "reference", "reference_run", "resolve_device",
    "show_nearest_real", "show_progress", "show_tensor_images", "train", "train_epoch", "train_step",
    "weights_init",
]

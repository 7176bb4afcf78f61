"""ganlab: the shared code of the DCGAN teaching notebooks (MNIST digits, PyTorch).

This face re-exports what the notebooks use; each name's docstring says which notebook
teaches it.
"""
from .checkpoint import discriminator_from_checkpoint, generator_from_checkpoint, load_checkpoint, save_checkpoint
from .config import Config, quick_mode, resolve_device
from .data import (CLASS_NAMES, DatasetNotFoundError, DeviceBatches, dataset_root, load_dataset, make_batches,
                   make_loader, make_transform)
from .history import History
from .losses import fake_loss, real_loss
from .models import Discriminator, Generator, disc_block, gen_block, weights_init
from .train import TrainingDiverged, generate, make_optimizers, train, train_step
from .viz import plot_losses, save_grid, show_progress, show_tensor_images

__version__ = "0.1.0"

__all__ = [
    "CLASS_NAMES", "Config", "DatasetNotFoundError", "DeviceBatches", "Discriminator", "Generator",
    "History", "TrainingDiverged", "dataset_root", "disc_block", "discriminator_from_checkpoint",
    "fake_loss", "gen_block", "generate", "generator_from_checkpoint", "load_checkpoint",
    "load_dataset", "make_batches", "make_loader", "make_optimizers", "make_transform", "plot_losses",
    "quick_mode", "real_loss", "resolve_device", "save_checkpoint", "save_grid", "show_progress",
    "show_tensor_images", "train", "train_step", "weights_init",
]

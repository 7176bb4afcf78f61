"""Helpers for the notebooks' pages: prove a page's code equals ganlab's, show source, summarise.

"The notebook teaches, the package remembers": a notebook types a piece out, then
``assert_same_network`` shows it is the same as ganlab's, and later notebooks import it.
"""
from __future__ import annotations

import copy
import inspect

import torch
from torch import nn


def _layers(model: nn.Module) -> list:
    """(name, layer type, parameter shapes) for every sub-module, the architecture's fingerprint."""
    return [(name, type(module).__name__,
             [tuple(p.shape) for p in module.parameters(recurse=False)])
            for name, module in model.named_modules() if name]


def assert_same_network(page_model: nn.Module, ganlab_model: nn.Module, example: torch.Tensor, *more) -> None:
    """Check two networks have the same layers and shapes, and, with the same weights, outputs.

    ganlab's weights are copied into a copy of the page's network, both run in eval mode on
    ``example`` (and ``more`` inputs, e.g. the labels of a conditional network), and the outputs
    must match. Raises AssertionError naming the first difference.
    """
    page_layers, ganlab_layers = _layers(page_model), _layers(ganlab_model)
    for page_layer, ganlab_layer in zip(page_layers, ganlab_layers):
        assert page_layer == ganlab_layer, f"layer differs: page {page_layer} vs ganlab {ganlab_layer}"
    assert len(page_layers) == len(ganlab_layers), (
        f"the page has {len(page_layers)} layers, ganlab {len(ganlab_layers)}")
    page_copy = copy.deepcopy(page_model).cpu().eval()
    ganlab_copy = copy.deepcopy(ganlab_model).cpu().eval()
    page_copy.load_state_dict(ganlab_copy.state_dict())
    inputs = [x.cpu() for x in (example, *more)]
    with torch.no_grad():
        torch.testing.assert_close(page_copy(*inputs), ganlab_copy(*inputs))
    print(f"Same layers ({len(page_layers)}), same shapes, same output: "
          f"the page's {type(page_model).__name__} is ganlab's.")


def safe_summary(model: nn.Module, input_size: tuple) -> None:
    """Print torchsummary's table for ``model`` without disturbing it.

    torchsummary 1.5.1 (what Colab ships) runs a forward pass in the model's current mode and
    with random input: that would update BatchNorm's running statistics and advance the random
    stream, and it accepts only the strings "cuda"/"cpu" as device. So it is given an eval-mode
    copy on the CPU, inside ``torch.random.fork_rng``.
    """
    from torchsummary import summary

    probe = copy.deepcopy(model).cpu().eval()
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        summary(probe, input_size, device="cpu")


def show_source(obj) -> None:
    """Display ``obj``'s source code as highlighted Markdown (what ganlab really runs)."""
    from IPython.display import Markdown, display

    display(Markdown(f"```python\n{inspect.getsource(obj)}```"))

"""Spiking neuron blocks usable as the contract's `neuron` factory (see snnexp/models/__init__.py)."""

from snnexp.neurons.spk import BLOCKS, DCL, HSL, MBPL, RL, SL, materialize

__all__ = ["BLOCKS", "SL", "RL", "MBPL", "HSL", "DCL", "materialize"]

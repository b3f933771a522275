"""Loads the tiny MLP with safetensors and runs one forward pass."""
from safetensors.numpy import load_file

weights = load_file("model.safetensors")
print({k: v.shape for k, v in weights.items()})

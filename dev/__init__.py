"""Local development stack for hookgate: not part of the layer, never deployed."""

"""Training (host only, needs TensorFlow): generator, discriminators, losses, data, loop, model dir."""

"""The on-device runtime: everything here imports without TensorFlow (boards never install it)."""

"""edgestyle: GAN-trained, flicker-free video style transfer that runs live on small boards.

The package splits by where code runs: ``edgestyle.train`` and ``edgestyle.conversion`` need
TensorFlow (host only); ``edgestyle.runtime``, ``edgestyle.contract`` and the CLI must import
without it, because boards never install TensorFlow.
"""

__version__ = "0.1.0"

"""Evaluation: flicker (temporal warping error), fidelity (PSNR/SSIM), style distance, reports, benchmarks.

Everything here runs without TensorFlow (numpy + OpenCV + LiteRT), so a board can judge itself.
"""

from edgestyle.evaluation.metrics import psnr, ssim

__all__ = ["psnr", "ssim"]

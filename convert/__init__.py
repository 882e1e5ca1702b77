"""Conversion presets (``*.json``), shipped as package data ``edgestyle.convert``."""

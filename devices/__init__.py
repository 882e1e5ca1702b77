"""Board profiles (``*.toml``) and install scripts, shipped as package data ``edgestyle.devices``."""

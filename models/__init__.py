"""Shipped models, as package data ``edgestyle.models`` (see README.md)."""

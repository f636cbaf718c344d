"""Jaring: matches CSR pledges to uninsured informal workers and pays their premiums over time."""

__version__ = "0.1.0"

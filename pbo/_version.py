"""The one source of pbo's version: the package metadata and every result's manifest read it."""

__version__ = "0.1.0"

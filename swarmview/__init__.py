"""swarmview: a desktop viewer and validator for SwarmTorch run bundles."""

__version__ = "0.1.0"

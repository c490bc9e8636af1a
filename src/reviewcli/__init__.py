"""reviewcli: statutory reviews of children in care, for an Independent Review Unit."""

__version__ = "0.1.0"

"""gateviz: watch the gates of recurrent networks, step by step."""

__version__ = "0.1.0"

"""``python -m queuectl_tui``: the same as ``queuectl-tui``."""

from queuectl_tui.cli import main

if __name__ == "__main__":
    main()

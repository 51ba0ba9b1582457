"""queuectl operator console: a Textual app over queuectl_core (the core never imports this)."""

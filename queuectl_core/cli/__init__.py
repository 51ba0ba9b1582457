"""The headless ``queuectl`` command. Never imports textual; rich only where tables are printed."""

"""Panes of the console; each renders its own slice of the app's snapshot."""

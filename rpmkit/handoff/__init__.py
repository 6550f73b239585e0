"""rpmkit.handoff."""

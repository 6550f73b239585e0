"""rpmkit.target."""

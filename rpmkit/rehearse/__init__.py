"""rpmkit.rehearse."""

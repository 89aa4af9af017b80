"""The `pbo` commands beyond validate and solve, by group; each registers on `pbo.cli.app`."""

"""The command line: a thin layer that parses options, calls the catalogue and renders results."""

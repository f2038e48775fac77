"""Result objects and the renderers that turn one into plain text, Rich, JSON or LaTeX."""

"""The formula sheet's sections, for grouping and ordering commands."""

from __future__ import annotations

# The sheet's top-level sections (and the ones it lacks, §7–§10 and §14).
SECTION_TITLES = {
    "1": "Probability",
    "2": "Analysis and optimisation theory",
    "3": "Linear algebra",
    "4": "Matrix calculus",
    "5": "Information theory",
    "6": "Activations",
    "7": "Linear models",
    "8": "Multilayer perceptrons",
    "9": "Losses and softmax",
    "10": "Regularisation, normalisation, initialisation",
    "11": "Jacobians, gradient descent, optimisers",
    "12": "Convolutional networks",
    "13": "Recurrent networks",
    "14": "Optimisation",
    "15": "Attention, LLMs, BERT, ViT",
    "16": "Geometric deep learning",
    "17": "Theory",
    "18": "Tensor chain rule",
    "19": "Generative models",
}


def section_title(section: str) -> str:
    """'12.8' -> '§12 Convolutional networks'."""
    top = section.split(".")[0]
    return f"§{top} {SECTION_TITLES.get(top, '')}".rstrip()


def section_key(section: str) -> tuple[int, ...]:
    """'12.10.1' -> (12, 10, 1), so that sections sort numerically."""
    return tuple(int(part) if part.isdigit() else 0 for part in section.split("."))

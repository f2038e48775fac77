"""Formula commands computed from the net presets (one source for the layer lists)."""

from __future__ import annotations

from dlcalc.core.registry import Param, choice, formula
from dlcalc.core.result import Result, Table

# The classic CNNs of the sheet's §12.10.1; their layers are the presets of dlcalc.net.presets
CNN_PRESETS = ("alexnet", "vgg11", "vgg16", "vgg19", "resnet18", "resnet34", "resnet50")
_COMPONENTS = {"conv": "conv", "bn": "batchnorm", "fc": "fc"}  # layer operation -> component


def cnn_components(preset):
    from dlcalc.net.network import summarize

    components = {}
    for row in summarize("@" + preset).rows:
        component = _COMPONENTS.get(row.text.split()[0])
        if component is not None:
            components[component] = components.get(component, 0) + row.params
    return {name: components[name] for name in _COMPONENTS.values() if name in components}


def cnn_model_params(preset):
    components = cnn_components(preset)
    total = sum(components.values())
    table = Table(
        columns=["component", "parameters", "share"],
        rows=[[name, f"{count:,}", f"{100 * count / total:.1f} %"] for name, count in components.items()],
        title=f"{preset} (torchvision, 1000 classes)",
    )
    return Result(name="cnn-model-params", inputs={}, value=total, table=table,
                  extra={"total": total, "components": components})


formula(
    name="cnn-model-params",
    section="12.10.1",
    catalogue_id="CNN-FC-SHARE",
    summary="Parameters of classic CNNs (AlexNet, VGG, ResNet) by component, as in torchvision",
    params=(Param("preset", choice(*CNN_PRESETS), "the network: " + ", ".join(CNN_PRESETS), positional=True),),
    formula="Σ conv c_out(c_in·K² + 1) + Σ batchnorm 2C + Σ fc (n_in + 1)n_out",
    latex=r"N = \sum_{\mathrm{conv}} C_{\mathrm{out}}(C_{\mathrm{in}}K^2 + 1) + \sum_{\mathrm{fc}} (n_{\mathrm{in}}+1)n_{\mathrm{out}}",
    compute=cnn_model_params,
    examples=(
        ("vgg16", "138357544", "89.4 % of it in the fully connected layers"),
        ("resnet18", "11689512"),
    ),
)

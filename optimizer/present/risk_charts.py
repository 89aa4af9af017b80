"""`pbo risk --charts DIR`: the probability of meeting each target, a fan chart of each
partner's cumulative position, and the robust labels (matplotlib, PNG)."""

from __future__ import annotations

from pathlib import Path

from pbo.optimizer.analyses.risk_result import RiskResult

LABEL_COLOURS = {"core": "#1b7837", "borderline": "#f1a340", "exterior": "#b2182b"}


def _figures(result: RiskResult) -> dict[str, object]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: dict[str, object] = {}
    targets = result.targets_table()
    if not targets.empty:
        fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(targets)))
        ax.barh(targets["target"], 100 * targets["p_met"], color="#2166ac")
        ax.set_xlim(0, 100)
        ax.set_xlabel("probability the target is met (%), plan held fixed")
        ax.invert_yaxis()
        fig.tight_layout()
        out["risk_targets"] = fig
    fan = result.fan()
    partners = list(dict.fromkeys(fan["partner"]))
    if partners:
        fig, axes = plt.subplots(len(partners), 1, figsize=(7, 2.2 * len(partners)),
                                 sharex=True, squeeze=False)
        for ax, p in zip(axes[:, 0], partners, strict=True):
            rows = fan[fan["partner"] == p]
            ax.fill_between(rows["year"], rows["p10"], rows["p90"], color="#92c5de",
                            label="P10-P90")
            ax.plot(rows["year"], rows["p50"], color="#2166ac", label="P50")
            ax.axhline(0, color="#444444", linewidth=0.8)
            ax.set_title(f"{p}: cumulative discounted net position", fontsize=9)
        axes[0, 0].legend(fontsize=8)
        fig.tight_layout()
        out["risk_fan"] = fig
    choices = result.interventions_table()
    choices = choices[choices["p_chosen"].notna()]
    if not choices.empty:
        fig, ax = plt.subplots(figsize=(7, 0.5 + 0.3 * len(choices)))
        ax.barh(choices["intervention"], 100 * choices["p_chosen"],
                color=[LABEL_COLOURS[x] for x in choices["label"]])
        ax.set_xlim(0, 100)
        ax.axvline(90, color="#444444", linestyle=":")
        ax.axvline(10, color="#444444", linestyle=":")
        ax.set_xlabel("share of samples in which it is chosen (%): core >= 90, exterior <= 10")
        ax.invert_yaxis()
        fig.tight_layout()
        out["risk_labels"] = fig
    return out


def write_risk_charts(result: RiskResult, folder: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, fig in _figures(result).items():
        path = folder / f"{name}.png"
        fig.savefig(path, dpi=110)  # type: ignore[attr-defined]
        plt.close(fig)  # type: ignore[arg-type]
        paths.append(path)
    return paths


def svg_figures(result: RiskResult) -> dict[str, str]:
    """The same charts as inline SVG text (for the decision pack)."""
    import io

    import matplotlib.pyplot as plt

    out = {}
    for name, fig in _figures(result).items():
        buf = io.StringIO()
        fig.savefig(buf, format="svg")  # type: ignore[attr-defined]
        plt.close(fig)  # type: ignore[arg-type]
        text = buf.getvalue()
        out[name] = text[text.index("<svg"):]
    return out

"""`pbo risk --out FILE.xlsx`: Samples, Targets, Partners and Interventions sheets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from pbo.models.io.export import safe_text, write_atomic


def write_risk_workbook(path: Path, sheets: dict[str, pd.DataFrame],
                        manifest: dict[str, Any]) -> None:
    """One sheet per table, in order, then the manifest (seed, samples, distributions)."""
    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
            for name, frame in sheets.items():
                safe = frame.map(safe_text) if not frame.empty else frame
                safe.to_excel(xl, sheet_name=name[:31], index=False)
            rows = [{"field": k, "value": v if isinstance(v, str | int | float | None)
                     else json.dumps(v, default=str)} for k, v in manifest.items()]
            pd.DataFrame(rows).to_excel(xl, sheet_name="Manifest", index=False)

    write_atomic(path, write)

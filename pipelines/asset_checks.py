"""Asset checks whose SQL (sql/checks/<name>.sql) returns the offending rows: none means passed."""

from collections.abc import Mapping

import dagster as dg

from pipelines.asset_metadata import markdown_preview
from pipelines.resources import WarehouseResource


def offending_rows_check(
    *,
    asset: str,
    name: str,
    description: str,
    counted: str,
    parameters: Mapping[str, object] | None = None,
) -> dg.AssetChecksDefinition:
    """A blocking check that passes when its query finds no row; the UI shows count and rows."""

    @dg.asset_check(asset=asset, name=name, description=description)
    def check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        rows = warehouse.get().read_check(name, parameters)
        return dg.AssetCheckResult(
            passed=rows.height == 0,
            metadata={counted: rows.height, "rows": markdown_preview(rows)},
        )

    return check

"""The rows of upward batches as the national platform receives them."""

from __future__ import annotations

from typing import Any

from exchange.models import NationalRow


def row_document(row: NationalRow) -> dict[str, Any]:
    return {
        "row_id": str(row.row_id),
        "dataset": row.dataset,
        "operation": row.operation,
        "time": row.occurred_at.isoformat(),
        "source": row.source,
        "data": row.record,
    }

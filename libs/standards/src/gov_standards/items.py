"""The national kinds of government service item (事项类型) by their code, as the item elements standard
lists them: the catalog checks an item's type against them and the front-ends name it with them."""

from __future__ import annotations

from typing import Final

ITEM_TYPES: Final[dict[str, str]] = {
    "01": "行政许可",
    "02": "行政处罚",
    "03": "行政强制",
    "04": "行政征收",
    "05": "行政给付",
    "06": "行政检查",
    "07": "行政确认",
    "08": "行政奖励",
    "09": "行政裁决",
    "10": "其他行政权力",
    "20": "公共服务",
}

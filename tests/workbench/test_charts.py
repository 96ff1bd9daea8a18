"""The supervision board's bar charts are laid out by the server (pure): bars scaled to the largest value
(or to 1 for a rate), a missing value drawn as no bar and read as 无数据, long labels cut, at most 20 bars."""

from __future__ import annotations

from workbench.display import BAR_WIDTH, MAX_BARS, ROW, bar_chart


def test_rates_scale_to_one_and_read_as_percentages() -> None:
    chart = bar_chart(
        [("南宁市市场监督管理局", 0.5), ("南宁市行政审批局", 1.0), ("没有办结", None)], percent=True, scale=1.0
    )
    assert [b.width for b in chart.bars] == [BAR_WIDTH / 2, BAR_WIDTH, 0.0]
    assert [b.text for b in chart.bars] == ["50.0%", "100.0%", "无数据"]
    assert [b.y for b in chart.bars] == [0, ROW, 2 * ROW] and chart.height == 3 * ROW


def test_days_scale_to_the_largest_and_labels_are_cut() -> None:
    chart = bar_chart([("食品经营许可（仅销售预包装食品备案以外的情形）", 6.0), ("x", 3.0)])
    assert chart.bars[0].width == BAR_WIDTH and chart.bars[1].width == BAR_WIDTH / 2
    assert chart.bars[0].label.endswith("…") and len(chart.bars[0].label) == 14
    assert chart.bars[0].text == "6.0"


def test_no_data_and_too_many_rows() -> None:
    assert bar_chart([]).bars == [] and bar_chart([]).height == ROW
    assert all(b.width == 0 for b in bar_chart([("a", None), ("b", 0.0)]).bars)
    assert len(bar_chart([(str(i), float(i)) for i in range(50)]).bars) == MAX_BARS


def test_counts_read_as_whole_numbers() -> None:
    chart = bar_chart([("食品经营许可", 12.0), ("出生登记", 3.0)], counts=True)
    assert [b.text for b in chart.bars] == ["12", "3"]

"""Chart geometry for the inline SVG of the reports."""

from smmpanel.staff.charts import BOTTOM, HEIGHT, MAX_X_LABELS, TOP, bar_chart, line_chart

PLOT = HEIGHT - BOTTOM - TOP


def fmt(value) -> str:
    return str(value)


def test_bars_are_as_tall_as_their_share_of_the_largest():
    chart = bar_chart("t", ["a", "b"], [10, 5], fmt)
    assert [round(b.height, 3) for b in chart.bars] == [PLOT, PLOT / 2]


def test_bars_stand_on_the_zero_line():
    chart = bar_chart("t", ["a"], [7], fmt)
    bar = chart.bars[0]
    assert round(bar.y + bar.height, 3) == round(chart.zero_y, 3)


def test_a_negative_bar_hangs_below_the_zero_line():
    chart = bar_chart("t", ["loss", "gain"], [-5, 5], fmt)
    loss = chart.bars[0]
    assert loss.y == chart.zero_y and loss.color != chart.bars[1].color


def test_each_bar_is_titled_with_its_label_and_value():
    chart = bar_chart("t", ["Completed"], [3], fmt)
    assert chart.bars[0].title == "Completed: 3"


def test_all_zero_values_draw_flat_bars_without_dividing_by_zero():
    chart = bar_chart("t", ["a", "b"], [0, 0], fmt)
    assert [b.height for b in chart.bars] == [0, 0]


def test_a_line_has_one_point_per_label():
    chart = line_chart("t", ["d1", "d2", "d3"], [("revenue", [1, 2, 3])], fmt)
    assert chart.lines[0].path.count(",") == 3


def test_a_line_point_is_titled_with_series_label_and_value():
    chart = line_chart("t", ["d1"], [("profit", [4])], fmt)
    assert chart.lines[0].points[0].title == "profit, d1: 4"


def test_many_periods_show_a_few_axis_labels():
    labels = [f"d{i}" for i in range(31)]
    chart = line_chart("t", labels, [("s", list(range(31)))], fmt)
    assert len(chart.x_labels) <= MAX_X_LABELS


def test_a_count_axis_steps_by_whole_numbers():
    chart = bar_chart("t", ["a", "b"], [2, 1], fmt, min_step=1)
    assert [t.label for t in chart.y_ticks] == ["0", "1", "2"]


def test_the_axis_ends_on_a_round_number_above_the_largest_value():
    chart = bar_chart("t", ["a"], [7], fmt)
    assert chart.y_ticks[-1].label == "8"

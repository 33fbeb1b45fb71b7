"""What the data image reports of a learner's run, as plain JSON: named variables (scalars, pandas series and data
frames, numpy arrays, lists and dicts) and matplotlib figures (per axes: title, axis labels, and each chart's type,
points or bars and their values). Everything is capped, so a huge frame or a figure with a million points gives a
bounded observation. Runs in the step's child, after the learner's code: nothing here is trusted by the grader,
which judges these observations against the reference's (graders/data_analysis.py).
"""
import base64
import datetime
import io
import math

ROW_CAP = 500  # rows of a frame, items of a series, a list or a dict (records are capped at 1 MB)
COLUMN_CAP = 40
TEXT_CAP = 200
POINT_CAP = 1000  # points of a line or a scatter, bars of a chart
FIGURE_CAP = 6
AXES_CAP = 8
PNG_DPI = 72
PNG_CAP = 150 * 1024
PNG_FIGURES = 3  # figures shown with their picture


def plain(value):
    """One cell, index label or scalar as JSON: numbers, text, booleans; NaN, None, NaT and pd.NA as null;
    infinities as the strings "inf" and "-inf"; dates as ISO text; anything else as its capped text."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value[:TEXT_CAP]
    try:
        import numpy

        if isinstance(value, numpy.bool_):
            return bool(value)
        if isinstance(value, numpy.integer):
            return int(value)
        if isinstance(value, numpy.floating):
            value = float(value)
        elif isinstance(value, numpy.datetime64):
            import pandas

            value = pandas.Timestamp(value)
    except ImportError:
        pass
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, tuple):
        return [plain(item) for item in value[:COLUMN_CAP]]
    try:
        import pandas

        if value is pandas.NA or value is pandas.NaT:
            return None
        if isinstance(value, pandas.Timestamp):
            return value.isoformat()
    except ImportError:
        pass
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    try:
        if value != value:  # other NaN-like values
            return None
    except Exception:  # noqa: BLE001 - a learner's object may refuse to compare
        pass
    return str(value)[:TEXT_CAP]


def _nested(value, depth=0):
    """A list, tuple or dict of plain values (a learner's own structure), capped in length and depth."""
    if depth > 4:
        return str(value)[:TEXT_CAP]
    if isinstance(value, (list, tuple)):
        return [_nested(item, depth + 1) for item in list(value)[:ROW_CAP]]
    if isinstance(value, dict):
        return {str(plain(key)): _nested(item, depth + 1) for key, item in list(value.items())[:ROW_CAP]}
    return plain(value)


def describe_value(value):
    """A variable's observation: {"type": scalar | series | frame | array | value | other, ...}."""
    import numpy
    import pandas

    if isinstance(value, pandas.DataFrame):
        head = value.iloc[:ROW_CAP, :COLUMN_CAP]
        return {"type": "frame", "columns": [plain(c) for c in head.columns],
                "index_names": [plain(n) for n in value.index.names],
                "index": [plain(i) for i in head.index],
                "rows": [[plain(cell) for cell in row] for row in head.itertuples(index=False, name=None)],
                "dtypes": [str(d) for d in head.dtypes], "shape": list(value.shape)}
    if isinstance(value, pandas.Series):
        head = value.iloc[:ROW_CAP]
        return {"type": "series", "name": plain(value.name), "index_names": [plain(n) for n in value.index.names],
                "index": [plain(i) for i in head.index], "values": [plain(v) for v in head],
                "dtype": str(value.dtype), "length": int(len(value))}
    if isinstance(value, pandas.Index):
        return {"type": "value", "value": [plain(i) for i in value[:ROW_CAP]]}
    if isinstance(value, numpy.ndarray):
        if value.ndim == 0:
            return {"type": "scalar", "value": plain(value.item())}
        if value.ndim > 2:
            return {"type": "other", "python_type": f"ndarray of {value.ndim} dimensions", "shape": list(value.shape)}
        flat = value[:ROW_CAP] if value.ndim == 1 else value[:ROW_CAP, :COLUMN_CAP]
        return {"type": "array", "shape": list(value.shape), "values": _nested(flat.tolist())}
    if value is None or isinstance(value, (bool, int, float, str, numpy.generic, datetime.date)):
        return {"type": "scalar", "value": plain(value)}
    if isinstance(value, (list, tuple, dict)):
        return {"type": "value", "value": _nested(value)}
    return {"type": "other", "python_type": type(value).__name__[:80]}


# --- figures -------------------------------------------------------------------------------------------------

def _points(xs, ys):
    return [[plain(x), plain(y)] for x, y in list(zip(xs, ys))[:POINT_CAP]]


def _tick_label(axis_ticks, labels, position, half_width):
    for tick, label in zip(axis_ticks, labels):
        if abs(tick - position) <= half_width + 1e-9:
            return label
    return None


def describe_axes(ax):
    from matplotlib.collections import PathCollection, PolyCollection
    from matplotlib.container import BarContainer
    from matplotlib.patches import Rectangle, Wedge

    charts = []
    xticks, xlabels = list(ax.get_xticks()), [t.get_text() for t in ax.get_xticklabels()]
    yticks, ylabels = list(ax.get_yticks()), [t.get_text() for t in ax.get_yticklabels()]
    in_containers = set()
    for container in ax.containers:
        if not isinstance(container, BarContainer):
            continue
        bars = [p for p in container.patches if isinstance(p, Rectangle)][:POINT_CAP]
        in_containers.update(id(p) for p in bars)
        horizontal = getattr(container, "orientation", "vertical") == "horizontal"
        values, labels = [], []
        for bar in bars:
            if horizontal:
                values.append(plain(bar.get_width()))
                center, half = bar.get_y() + bar.get_height() / 2, bar.get_height() / 2
                labels.append(_tick_label(yticks, ylabels, center, half))
            else:
                values.append(plain(bar.get_height()))
                center, half = bar.get_x() + bar.get_width() / 2, bar.get_width() / 2
                labels.append(_tick_label(xticks, xlabels, center, half))
        charts.append({"type": "barh" if horizontal else "bar", "count": len(container.patches), "values": values,
                       "labels": labels, "label": plain(container.get_label())})
    wedges = [p for p in ax.patches if isinstance(p, Wedge)]
    if wedges:
        total = sum(abs(w.theta2 - w.theta1) for w in wedges) or 1.0
        texts = [t.get_text() for t in ax.texts]
        charts.append({"type": "pie", "count": len(wedges),
                       "values": [plain(abs(w.theta2 - w.theta1) / total) for w in wedges[:POINT_CAP]],
                       "labels": texts[:len(wedges)]})
    for line in ax.get_lines():
        xs, ys = line.get_xdata(orig=False), line.get_ydata(orig=False)
        charts.append({"type": "line", "count": int(len(ys)), "points": _points(xs, ys),
                       "label": plain(line.get_label())})
    for collection in ax.collections:
        if isinstance(collection, PathCollection):
            offsets = collection.get_offsets()
            charts.append({"type": "scatter", "count": int(len(offsets)),
                           "points": [[plain(x), plain(y)] for x, y in list(offsets)[:POINT_CAP]],
                           "label": plain(collection.get_label())})
        elif isinstance(collection, PolyCollection):
            charts.append({"type": "area", "count": len(collection.get_paths())})
    legend = ax.get_legend()
    return {"title": ax.get_title()[:TEXT_CAP], "xlabel": ax.get_xlabel()[:TEXT_CAP],
            "ylabel": ax.get_ylabel()[:TEXT_CAP], "charts": charts[:40],
            "legend": [t.get_text()[:TEXT_CAP] for t in legend.get_texts()][:40] if legend else []}


def describe_figures(with_png=False):
    """Every open figure, in the order matplotlib numbers them; with its PNG (visible runs only)."""
    import matplotlib.pyplot as plt

    figures = []
    for number in plt.get_fignums()[:FIGURE_CAP]:
        figure = plt.figure(number)
        entry = {"number": number}
        try:
            figure.canvas.draw()  # tick labels (a bar's category) are set when the figure is drawn
            entry["suptitle"] = figure._suptitle.get_text()[:TEXT_CAP] if figure._suptitle else ""
            entry["axes"] = [describe_axes(ax) for ax in figure.axes[:AXES_CAP]]
            if with_png and len(figures) < PNG_FIGURES:
                buffer = io.BytesIO()
                figure.savefig(buffer, format="png", dpi=PNG_DPI)
                data = buffer.getvalue()
                if len(data) <= PNG_CAP:
                    entry["png"] = base64.b64encode(data).decode("ascii")
        except Exception as exc:  # noqa: BLE001 - a broken figure of the learner's is reported, not fatal
            entry["error"] = f"{type(exc).__name__}: {exc}"[:300]
        figures.append(entry)
    return figures

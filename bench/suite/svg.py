"""Line plots as hand-written SVG (no matplotlib on the machines this runs on).

    line_plot(path, title, x_label, y_label, series, log_x=False, log_y=False)

`series` is a list of {"label": str, "points": [(x, y), ...]}; points with y None are left
out. Log axes put ticks at powers of ten and, when those are too few, at 2x and 5x.
"""
import html
import math

WIDTH, HEIGHT = 640, 400
LEFT, RIGHT, TOP, BOTTOM = 72, 170, 40, 56
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"]
DASHES = ["", "6,3", "2,2", "8,3,2,3"]


def _ticks(lo, hi, log):
    if log:
        ticks = []
        for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
            for m in (1, 2, 5):
                v = m * 10 ** e
                if lo <= v * 1.0001 and v <= hi * 1.0001:
                    ticks.append(v)
        decades = [t for t in ticks if math.log10(t).is_integer()]
        return decades if len(decades) >= 3 else ticks
    span = hi - lo or 1
    step = 10 ** math.floor(math.log10(span / 5))
    for m in (1, 2, 5, 10):
        if span / (m * step) <= 6:
            step *= m
            break
    start = math.ceil(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step + 1e-9) + 1)]


def _label(v):
    if v == 0:
        return "0"
    if abs(v) >= 10000:
        return f"{v:.0e}".replace("e+0", "e").replace("e+", "e")
    if abs(v) >= 1:
        return f"{v:g}"
    return f"{v:.2g}"


def line_plot(path, title, x_label, y_label, series, log_x=False, log_y=False):
    pts = [(x, y) for s in series for x, y in s["points"] if y is not None]
    if not pts:
        return False
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x_lo, x_hi = min(xs), max(xs)
    y_lo, y_hi = min(ys), max(ys)
    if log_y:
        y_lo, y_hi = y_lo / 1.3, y_hi * 1.3
    else:
        y_lo, y_hi = min(0, y_lo), y_hi * 1.1 or 1
    if x_lo == x_hi:
        x_lo, x_hi = (x_lo / 2, x_hi * 2) if log_x else (x_lo - 1, x_hi + 1)
    if log_y and y_lo == y_hi:
        y_lo, y_hi = y_lo / 2, y_hi * 2
    fx = (lambda v: math.log10(v)) if log_x else (lambda v: v)
    fy = (lambda v: math.log10(v)) if log_y else (lambda v: v)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(v):
        return LEFT + (fx(v) - fx(x_lo)) / (fx(x_hi) - fx(x_lo)) * plot_w

    def py(v):
        return TOP + plot_h - (fy(v) - fy(y_lo)) / (fy(y_hi) - fy(y_lo)) * plot_h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
           f'<text x="{LEFT}" y="22" font-size="14" font-weight="bold">{html.escape(title)}</text>']
    for t in _ticks(x_lo, x_hi, log_x):
        x = px(t)
        out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + plot_h}" stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">{_label(t)}</text>')
    for t in _ticks(y_lo, y_hi, log_y):
        y = py(t)
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_label(t)}</text>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#333"/>')
    out.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 14}" text-anchor="middle">'
               f'{html.escape(x_label)}{" (log)" if log_x else ""}</text>')
    out.append(f'<text transform="translate(16,{TOP + plot_h / 2}) rotate(-90)" text-anchor="middle">'
               f'{html.escape(y_label)}{" (log)" if log_y else ""}</text>')
    for i, s in enumerate(series):
        color, dash = COLORS[i % len(COLORS)], DASHES[(i // len(COLORS)) % len(DASHES)]
        points = [(px(x), py(y)) for x, y in s["points"] if y is not None]
        if not points:
            continue
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2"{dash_attr} points="'
                   + " ".join(f"{x:.1f},{y:.1f}" for x, y in points) + '"/>')
        out.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>' for x, y in points)
        ly = TOP + 14 + 18 * i
        out.append(f'<line x1="{LEFT + plot_w + 10}" y1="{ly - 4}" x2="{LEFT + plot_w + 30}" y2="{ly - 4}" '
                   f'stroke="{color}" stroke-width="2"{dash_attr}/>')
        out.append(f'<text x="{LEFT + plot_w + 34}" y="{ly}">{html.escape(s["label"])}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return True

using System.Globalization;
using System.Text;

namespace RenderNet.Bench.Scale;

/// <summary>The scale figures as a small SVG: three panels against the fleet size (log scale), one line per figure.</summary>
static class ScalePlot
{
    const int PanelWidth = 300, PanelHeight = 200, Margin = 50;

    public static string Svg(IReadOnlyList<ScaleFigures> results)
    {
        var panels = new (string Title, (string Name, Func<ScaleFigures, double> Value, string Colour)[] Lines)[]
        {
            ("coordinator CPU per tile (µs)", [("CPU per tile", r => r.CpuMicrosecondsPerTile, "#d62728")]),
            ("coordinator memory (KiB)", [("per node", r => r.CoordinatorBytes / 1024.0 / r.Nodes, "#1f77b4"), ("per job / 100", r => r.CoordinatorBytes / 1024.0 / r.Jobs / 100, "#2ca02c")]),
            ("completion / ideal", [("all jobs", r => r.MakespanOverIdeal, "#9467bd"), ("worst job vs fair share", r => r.JobRatios.Max(), "#ff7f0e")]),
        };
        var svg = new StringBuilder();
        int width = panels.Length * (PanelWidth + Margin) + Margin, height = PanelHeight + 2 * Margin + 20;
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>");
        double minX = Math.Log10(results.Min(r => r.Nodes)), maxX = Math.Log10(results.Max(r => r.Nodes));
        if (maxX - minX < 1e-9) maxX = minX + 1;
        for (int p = 0; p < panels.Length; p++)
        {
            var (title, lines) = panels[p];
            double left = Margin + p * (PanelWidth + Margin), top = Margin;
            double maxY = Math.Max(1e-9, lines.SelectMany(l => results.Select(l.Value)).Where(double.IsFinite).DefaultIfEmpty(1).Max() * 1.15);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"{top - 12}\" font-weight=\"bold\">{title}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{top}\" width=\"{PanelWidth}\" height=\"{PanelHeight}\" fill=\"none\" stroke=\"#999\"/>");
            foreach (var r in results)
            {
                double x = X(r.Nodes);
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x}\" y=\"{top + PanelHeight + 14}\" text-anchor=\"middle\">{r.Nodes:N0}</text>");
            }
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + PanelWidth / 2}\" y=\"{top + PanelHeight + 30}\" text-anchor=\"middle\">nodes</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 4}\" y=\"{top + 4}\" text-anchor=\"end\">{(maxY >= 100 ? maxY.ToString("0", CultureInfo.InvariantCulture) : maxY.ToString("0.##", CultureInfo.InvariantCulture))}</text><text x=\"{left - 4}\" y=\"{top + PanelHeight}\" text-anchor=\"end\">0</text>");
            for (int l = 0; l < lines.Length; l++)
            {
                var (name, value, colour) = lines[l];
                var points = results.Where(r => double.IsFinite(value(r))).Select(r => $"{X(r.Nodes):0.#},{top + PanelHeight * (1 - value(r) / maxY):0.#}");
                svg.Append(CultureInfo.InvariantCulture, $"<polyline points=\"{string.Join(' ', points)}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>");
                foreach (var r in results.Where(r => double.IsFinite(value(r))))
                    svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(r.Nodes):0.#}\" cy=\"{top + PanelHeight * (1 - value(r) / maxY):0.#}\" r=\"3\" fill=\"{colour}\"/>");
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + 8}\" y=\"{top + 16 + 14 * l}\" fill=\"{colour}\">{name}</text>");
            }
            double X(int nodes) => left + 15 + (PanelWidth - 30) * (Math.Log10(nodes) - minX) / (maxX - minX);
        }
        return svg.Append("</svg>").ToString();
    }
}

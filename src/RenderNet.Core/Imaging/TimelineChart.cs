using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RenderNet.Core.Imaging;

/// <summary>How an attempt at a tile ended, as a timeline shows it.</summary>
public enum TimelineBarKind
{
    /// <summary>Delivered and accepted: a solid bar in the node's colour.</summary>
    Accepted,
    /// <summary>Failed, timed out or rejected, and retried elsewhere: red, striped.</summary>
    Failed,
    /// <summary>A duplicate that lost the race to another node's copy: the node's colour, faded.</summary>
    Superseded,
    /// <summary>A speculative duplicate that won: the node's colour with a dark top edge.</summary>
    Speculative,
    /// <summary>A spot check of another node's tile: the node's colour, hatched with white.</summary>
    SpotCheck,
}

/// <summary>One attempt on one row (node) of a timeline.</summary>
public sealed record TimelineBar(int Row, TimeSpan Start, TimeSpan End, TimelineBarKind Kind);

/// <summary>
/// A picture of a farm job: one row per node (its colour in a swatch at the left), one bar per attempt along a time
/// axis with a tick every second. Attempts that overlap on a node (it works on several tiles at once) get lanes of
/// their own within the row. Drawn pixel by pixel with ImageSharp (no text: ImageSharp.Drawing and fonts are not
/// on the registry these machines reach, so the legend is printed beside it).
/// </summary>
public static class TimelineChart
{
    public const int RowHeight = 32, BarHeight = 20, Margin = 12, Swatch = 16;

    static readonly Rgba32[] Palette =
    [
        new(31, 119, 180), new(255, 127, 14), new(44, 160, 44), new(148, 103, 189), new(140, 86, 75),
        new(227, 119, 194), new(127, 127, 127), new(188, 189, 34), new(23, 190, 207), new(57, 59, 121),
    ];

    public static Rgba32 ColorOf(int row) => Palette[row % Palette.Length];

    /// <summary>Writes the chart as a PNG (to NAME.partial, then renamed).</summary>
    public static void Write(string path, int rows, IReadOnlyList<TimelineBar> bars, int width = 1200)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        int height = 2 * Margin + rows * RowHeight;
        int left = Margin + Swatch + Margin, right = width - Margin;
        double end = Math.Max(bars.Count == 0 ? 1 : bars.Max(b => b.End.TotalSeconds), 1e-3);
        double scale = (right - left) / end;
        using var image = new Image<Rgba32>(width, height, new Rgba32(255, 255, 255));

        void Fill(int x0, int y0, int x1, int y1, Rgba32 c)
        {
            for (int y = Math.Max(0, y0); y < Math.Min(height, y1); y++)
                for (int x = Math.Max(0, x0); x < Math.Min(width, x1); x++) image[x, y] = c;
        }

        for (int r = 0; r < rows; r++)
        {
            int top = Margin + r * RowHeight;
            if (r % 2 == 1) Fill(0, top, width, top + RowHeight, new Rgba32(244, 244, 244));
            Fill(Margin, top + (RowHeight - Swatch) / 2, Margin + Swatch, top + (RowHeight + Swatch) / 2, ColorOf(r));
        }
        for (int s = 0; s <= (int)end; s++)
        {
            int x = left + (int)Math.Round(s * scale);
            Fill(x, Margin, x + 1, height - Margin, new Rgba32(210, 210, 210));
        }
        // Lanes: each bar takes the first lane of its row that is free when it starts.
        var lanes = new Dictionary<TimelineBar, int>();
        var laneCount = new int[rows];
        foreach (var group in bars.GroupBy(b => b.Row))
        {
            var ends = new List<TimeSpan>();
            foreach (var bar in group.OrderBy(b => b.Start).ThenBy(b => b.End))
            {
                int lane = ends.FindIndex(e => e <= bar.Start);
                if (lane < 0) { ends.Add(bar.End); lane = ends.Count - 1; }
                else ends[lane] = bar.End;
                lanes[bar] = lane;
            }
            if (group.Key >= 0 && group.Key < rows) laneCount[group.Key] = ends.Count;
        }
        foreach (var bar in bars.OrderBy(b => b.Kind == TimelineBarKind.Failed ? 1 : 0))
        {
            int laneHeight = Math.Max(3, BarHeight / Math.Max(1, laneCount[bar.Row]));
            int top = Margin + bar.Row * RowHeight + (RowHeight - BarHeight) / 2 + lanes[bar] * laneHeight;
            int barHeight = Math.Max(2, laneHeight - 1);
            // A 2-pixel gap before each bar, so back-to-back tiles on one lane stay separate bars.
            int x0 = left + (int)Math.Round(bar.Start.TotalSeconds * scale) + 2;
            int x1 = Math.Max(x0 + 2, left + (int)Math.Round(bar.End.TotalSeconds * scale));
            var color = ColorOf(bar.Row);
            switch (bar.Kind)
            {
                case TimelineBarKind.Accepted:
                    Fill(x0, top, x1, top + barHeight, color);
                    break;
                case TimelineBarKind.Speculative:
                    Fill(x0, top, x1, top + barHeight, color);
                    Fill(x0, top, x1, top + 2, new Rgba32(0, 0, 0));
                    break;
                case TimelineBarKind.SpotCheck:
                    for (int y = top; y < top + barHeight; y++)
                        for (int x = x0; x < x1; x++)
                            image[x, y] = (x - y + 6000) % 6 < 2 ? new Rgba32((byte)((color.R + 255) / 2), (byte)((color.G + 255) / 2), (byte)((color.B + 255) / 2)) : color;
                    break;
                case TimelineBarKind.Superseded:
                    Fill(x0, top, x1, top + barHeight, new Rgba32((byte)(color.R / 3 + 170), (byte)(color.G / 3 + 170), (byte)(color.B / 3 + 170)));
                    break;
                case TimelineBarKind.Failed:
                    for (int y = top; y < top + barHeight; y++)
                        for (int x = x0; x < x1; x++)
                            if ((x + y) % 6 < 3 || y == top || y == top + barHeight - 1) image[x, y] = new Rgba32(214, 39, 40);
                    break;
            }
        }
        ImageWriter.EnsureWritable(path);
        var partial = path + ".partial";
        image.SaveAsPng(partial);
        File.Move(partial, path, overwrite: true);
    }
}

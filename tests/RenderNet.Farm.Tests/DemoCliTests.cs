using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using RenderNet.Core.Imaging;

namespace RenderNet.Farm.Tests;

/// <summary>`rendernet demo`, the README's main command: chain, paid nodes, receipt, image and a timeline of the job.</summary>
[Collection("farm")]
public sealed class DemoCliTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("rendernet-demo").FullName;
    public void Dispose() => Directory.Delete(dir, true);

    [Fact]
    public void The_demo_pays_every_node_for_its_tiles_and_checks_and_draws_one_timeline_row_per_node_with_a_bar_per_attempt()
    {
        string image = Path.Combine(dir, "demo.png"), timeline = Path.Combine(dir, "timeline.png");
        using var cli = new FarmCliTests.Cli("demo", "--nodes", "3", "--width", "64", "--height", "48", "--spp", "2", "--tile", "16",
            "--spot-check", "1", "--out", image, "--timeline", timeline, "--journal", dir, "--json");
        Assert.True(cli.Wait() == 0, cli.Stderr);
        using var json = JsonDocument.Parse(cli.Stdout);
        var nodes = json.RootElement.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(3, nodes.Count);
        Assert.Equal(12, nodes.Sum(n => n.GetProperty("tiles").GetInt32()));
        Assert.Equal(12, nodes.Sum(n => n.GetProperty("spot_checks").GetInt32())); // every tile, on another node
        foreach (var n in nodes)
        {
            // 0.001 RNT (10^15 of the token's smallest unit) per tile and per spot check, redeemed on chain.
            int work = n.GetProperty("tiles").GetInt32() + n.GetProperty("spot_checks").GetInt32() + n.GetProperty("duplicates_paid").GetInt32();
            Assert.Equal(work * 1_000_000_000_000_000L, long.Parse(n.GetProperty("paid").GetString()!));
            if (n.GetProperty("tiles").GetInt32() > 0) Assert.StartsWith("0x", n.GetProperty("redeem_tx").GetString());
        }
        Assert.Equal(Path.GetFullPath(timeline), json.RootElement.GetProperty("timeline").GetString());
        using (var frame = Image.Load<Rgba32>(image)) Assert.Equal((64, 48), (frame.Width, frame.Height));

        using var chart = Image.Load<Rgba32>(timeline);
        int rows = (chart.Height - 2 * TimelineChart.Margin) / TimelineChart.RowHeight;
        Assert.Equal(3, rows);
        Assert.Equal(2 * TimelineChart.Margin + 3 * TimelineChart.RowHeight, chart.Height);
        var swatches = Enumerable.Range(0, rows).Select(r => chart[TimelineChart.Margin + TimelineChart.Swatch / 2, TimelineChart.Margin + r * TimelineChart.RowHeight + TimelineChart.RowHeight / 2]).ToList();
        Assert.Equal(3, swatches.Distinct().Count());

        // Bars: in each row, lanes are bands of rows with the same pixels; each bar is a run of non-background pixels.
        int left = TimelineChart.Margin + TimelineChart.Swatch + TimelineChart.Margin;
        Rgba32[] background = [new(255, 255, 255), new(244, 244, 244), new(210, 210, 210)];
        int bars = 0;
        for (int r = 0; r < rows; r++)
        {
            int rowBars = 0;
            bool[]? previous = null;
            for (int y = TimelineChart.Margin + r * TimelineChart.RowHeight; y < TimelineChart.Margin + (r + 1) * TimelineChart.RowHeight; y++)
            {
                var mask = Enumerable.Range(left, chart.Width - left).Select(x => !background.Contains(chart[x, y])).ToArray();
                if (mask.Any(b => b) && (previous is null || !previous.Any(b => b)))
                    rowBars += mask.Where((on, i) => on && (i == 0 || !mask[i - 1])).Count(); // the first pixel row of a lane
                previous = mask;
            }
            int attempts = nodes[r].GetProperty("tiles").GetInt32() + nodes[r].GetProperty("spot_checks").GetInt32();
            Assert.True(rowBars >= attempts, $"row {r} shows {rowBars} bars for {attempts} tiles and checks");
            bars += rowBars;
        }
        Assert.InRange(bars, 24, 24 + 6); // one per tile and per check, plus any duplicate attempts the farm started
    }
}

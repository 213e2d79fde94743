using RenderNet.Client.Wire;
using RenderNet.Farm;

namespace RenderNet.Service.Tests;

/// <summary>The nodes page's totals: finished frames from receipts and the running frame from its farm, keyed by address.</summary>
public sealed class NodeWorkTotalsTests
{
    [Fact]
    public void Receipts_and_the_running_frames_add_up_per_address()
    {
        var receipts = new JobReceipt?[]
        {
            new() { Nodes = [new() { Node = "a", Address = "10.0.0.1:7000", Tiles = 5, SpotChecks = 1, Failures = 2, Paid = "0.005" }] },
            null, // a job that has not finished a frame yet
            new() { Nodes = [new() { Node = "a", Address = "10.0.0.1:7000", Tiles = 3, Convicted = true, Paid = "0" },
                             new() { Node = "b", Address = "10.0.0.2:7000", Tiles = 7, Paid = "0.007" }] },
        };
        var live = new[] { new NodeReport("10.0.0.2:7000", "b", null, null, Tiles: 4, TimeSpan.Zero, Failures: 1, null) { SpotChecks = 2, Paid = 4_000_000_000_000_000 } };

        var totals = NodeWorkTotals.Sum(receipts, live);

        Assert.Equal(new NodeWork(8, 1, 2, 1, 5_000_000_000_000_000), totals["10.0.0.1:7000"]);
        Assert.Equal(new NodeWork(11, 2, 1, 0, 11_000_000_000_000_000), totals["10.0.0.2:7000"]);
        Assert.Equal(2, totals.Count);
    }
}

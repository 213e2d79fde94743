namespace RenderNet.Farm.Tests;

/// <summary>Security review F-3: a conviction outlives the coordinator that made it.</summary>
[Collection("farm")]
public class ConvictionJournalTests
{
    [Fact]
    public async Task F3_a_resumed_job_keeps_a_convicted_node_out_and_does_not_restore_its_tiles()
    {
        using var liar = new NodeProcess(); using var honest = new NodeProcess();
        var frame = Jobs.Frame(64, 48, 2);
        var spec = Jobs.Spec(frame, 16);
        string dir = Directory.CreateTempSubdirectory("rendernet-f3-").FullName;
        try
        {
            // A first run in which the liar delivered every tile, then was convicted (as RunCheckAsync does it)
            // before its tiles were redone — and the coordinator died there.
            using (var journal = TileJournal.Create(dir, spec))
            {
                await new TileFarm(spec, Jobs.Fast, journal).RunAsync([liar.Address]);
                Assert.Equal(12, journal.DeliveredTiles().Count);
                journal.RecordConviction(liar.Address, "failed a spot check", Enumerable.Range(0, 12));
                Assert.Empty(journal.DeliveredTiles()); // dropped in the same transaction as the conviction
            }
            using (var resumed = TileJournal.Open(dir, spec.JobId))
            {
                Assert.Equal("failed a spot check", resumed.Convicted()[liar.Address]);
                var result = await new TileFarm(resumed.Spec, Jobs.Fast, resumed).RunAsync([liar.Address, honest.Address]);
                Assert.True(result.Image.BitEquals(Jobs.Local(frame)));
                Assert.Equal(0, result.TilesFromJournal);
                var report = result.Nodes.Single(n => n.Address == liar.Address);
                Assert.Equal(0, report.Tiles);
                Assert.StartsWith("convicted in an earlier run of this job", report.Excluded);
                Assert.Equal(12, result.Nodes.Single(n => n.Address == honest.Address).Tiles);
            }
        }
        finally { Directory.Delete(dir, true); }
    }
}

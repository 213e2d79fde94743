using Microsoft.Data.Sqlite;

namespace RenderNet.Farm.Tests;

/// <summary>What a job's journal keeps for a resume, read back as written.</summary>
public class TileJournalTests
{
    static readonly string[] Sources = ["https://cdn.example/scenes/{sha256}.glb", "https://gateway.example/ipfs/{cid}"];

    [Fact]
    public void A_resumed_job_keeps_the_scene_sources_its_nodes_fetch_from_and_a_journal_from_before_them_has_none()
    {
        var spec = Jobs.Spec(Jobs.Frame(32, 16, 1), 16) with { SceneSources = Sources };
        string dir = Directory.CreateTempSubdirectory("rendernet-journal-").FullName;
        try
        {
            TileJournal.Create(dir, spec).Dispose();
            using (var resumed = TileJournal.Open(dir, spec.JobId))
                Assert.Equal(Sources, resumed.Spec.SceneSources);

            Update(dir, spec.JobId, "ALTER TABLE job DROP COLUMN scene_sources"); // as an older journal was written
            using (var old = TileJournal.Open(dir, spec.JobId))
                Assert.Empty(old.Spec.SceneSources);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("[\"file:///etc/{sha256}\"]", "is not an http(s) URL")]
    [InlineData("{\"not\": \"a list\"}", "has unreadable scene sources")]
    [InlineData("[\"https://a/{sha256}\",\"https://a/{sha256}\",\"https://a/{sha256}\",\"https://a/{sha256}\",\"https://a/{sha256}\",\"https://a/{sha256}\",\"https://a/{sha256}\",\"https://a/{sha256}\",\"https://a/{sha256}\"]", "names 9 scene sources, more than 8")]
    public void An_edited_journals_scene_sources_are_checked_as_the_command_line_ones_are(string stored, string problem)
    {
        var spec = Jobs.Spec(Jobs.Frame(32, 16, 1), 16);
        string dir = Directory.CreateTempSubdirectory("rendernet-journal-").FullName;
        try
        {
            TileJournal.Create(dir, spec).Dispose();
            Update(dir, spec.JobId, $"UPDATE job SET scene_sources = '{stored}'");
            var ex = Assert.ThrowsAny<Exception>(() => TileJournal.Open(dir, spec.JobId).Dispose());
            Assert.Contains(problem, ex.Message);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, true);
        }
    }

    static void Update(string dir, string jobId, string sql)
    {
        using var db = new SqliteConnection($"Data Source={TileJournal.PathFor(dir, jobId)};Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}

using Microsoft.Data.Sqlite;

namespace RenderNet.Farm;

/// <summary>
/// A transcode job's journal, beside its staging directory: the payments and attempts every farm job journals, and which
/// node delivered each segment — so a resumed paid transcode keeps paying on the same channels and pays for every
/// segment delivered before the crash exactly once. (The segments' files are their own record: see
/// <see cref="Media.TranscodeJob.FinishedSegments"/>.)
/// </summary>
public sealed class TranscodeJournal : FarmJournal
{
    TranscodeJournal(SqliteConnection db, string path) : base(db, path) { }

    /// <summary>Opens the journal at <paramref name="path"/>, creating it (owner-only) the first time.</summary>
    public static TranscodeJournal OpenOrCreate(string path)
    {
        var db = File.Exists(path) ? OpenConnection(path) : CreateConnection(path);
        Execute(db, "CREATE TABLE IF NOT EXISTS segment(idx INTEGER PRIMARY KEY, node TEXT NOT NULL, delivered TEXT NOT NULL); CREATE TABLE IF NOT EXISTS meta(completed TEXT);");
        return new TranscodeJournal(db, path);
    }

    /// <summary>Records who delivered a segment (after its files were kept).</summary>
    public void SaveSegment(int index, string node)
    {
        lock (Gate)
        {
            using var insert = Db.CreateCommand();
            insert.CommandText = "INSERT OR REPLACE INTO segment(idx, node, delivered) VALUES ($idx, $node, $at)";
            insert.Parameters.AddWithValue("$idx", index);
            insert.Parameters.AddWithValue("$node", node);
            insert.Parameters.AddWithValue("$at", DateTime.UtcNow.ToString("O"));
            insert.ExecuteNonQuery();
        }
    }

    public override IReadOnlyList<int> DeliveredBy(string address) => DeliveredBy("SELECT idx, node FROM segment", address);

    protected override void Retract(SqliteTransaction tx, IEnumerable<int> units) => Delete(tx, "DELETE FROM segment WHERE idx = $idx", units);

    public override void MarkCompleted()
    {
        lock (Gate) Execute(Db, $"INSERT INTO meta(completed) VALUES ('{DateTime.UtcNow:O}')");
    }
}

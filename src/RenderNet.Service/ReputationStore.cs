using System.Text.Json;
using RenderNet.Farm;

namespace RenderNet.Service;

/// <summary>
/// Nodes' records across every job of this service (<see cref="INodeReputation"/>), in the job store's file
/// (<c>node_record</c>, schema 2): held in memory, each change written through before the farm goes on, so a node's
/// conviction outlives a restart. Times come from the given clock.
/// </summary>
public sealed class ReputationStore : INodeReputation
{
    readonly JobStore store;
    readonly Dictionary<string, NodeRecord> records = new(StringComparer.OrdinalIgnoreCase);
    readonly TimeProvider time;
    readonly Lock gate = new();

    ReputationStore(JobStore store, TimeProvider time)
    {
        this.store = store;
        this.time = time;
    }

    /// <summary>Reads the records from the job store's file (<see cref="JobStore.Open"/> creates the table) and writes there.</summary>
    public static ReputationStore Open(JobStore store, TimeProvider? time = null)
    {
        var reputation = new ReputationStore(store, time ?? TimeProvider.System);
        store.Use(db =>
        {
            using var read = db.CreateCommand();
            read.CommandText = "SELECT identity, record FROM node_record";
            using var rows = read.ExecuteReader();
            while (rows.Read())
                if (JsonSerializer.Deserialize<NodeRecord>(rows.GetString(1)) is { } record) reputation.records[rows.GetString(0)] = record;
            return 0;
        });
        return reputation;
    }

    public NodeRecord? Find(string identity)
    {
        lock (gate) return records.GetValueOrDefault(identity);
    }

    /// <summary>Every node on record, most recently seen first.</summary>
    public IReadOnlyList<NodeRecord> All()
    {
        lock (gate) return records.Values.OrderByDescending(r => r.LastSeen).ToList();
    }

    public void Record(string identity, ReputationEvent e, double rate = 0, string? reason = null)
    {
        string key = identity.ToLowerInvariant();
        lock (gate)
        {
            var record = (records.GetValueOrDefault(key) ?? new NodeRecord(key)).With(e, time.GetUtcNow(), rate, reason);
            records[key] = record;
            store.Use(db =>
            {
                using var write = db.CreateCommand();
                write.CommandText = "INSERT INTO node_record(identity, record) VALUES ($id, $record) ON CONFLICT(identity) DO UPDATE SET record = excluded.record";
                write.Parameters.AddWithValue("$id", key);
                write.Parameters.AddWithValue("$record", JsonSerializer.Serialize(record));
                return write.ExecuteNonQuery();
            });
        }
    }
}

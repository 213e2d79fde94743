using System.Text.Json;
using Microsoft.Data.Sqlite;
using RenderNet.Client.Wire;

namespace RenderNet.Service;

/// <summary>A job's row: what was asked, where it stands, and its accounting.</summary>
public sealed record StoredJob(string Id, JobSubmission Submission, string State, int Priority, DateTime Created,
    int TilesDone, int TilesTotal, int Frames, int FrameWidth, int FrameHeight, string CostWei, double ElapsedSeconds,
    JobError? Error, JobReceipt? Receipt);

/// <summary>One stored event; tile events name their frame and tile so the stream can fetch the pixels.</summary>
public sealed record StoredEvent(long Seq, string Type, int FrameIndex, int Tile, string Body);

/// <summary>
/// The service's jobs and their event logs in an embedded SQLite database (WAL, synchronous=NORMAL) in the state
/// directory, on one connection that the <see cref="ReputationStore"/> shares (<see cref="Use{T}"/>): two connections
/// writing one file meet SQLITE_BUSY, which the driver answers by sleeping, and a busy farm writes several rows a tile.
/// A commit survives the service being killed at once; an OS crash may lose the last ones, never the file's consistency
/// (WAL), and what a lost event announced is announced again from the frame's journal on resume. The schema is versioned: a newer service migrates an older store; an older service refuses a newer one.
/// Events are numbered per job from 1 without gaps, so a client resumes a stream after any number it saw.
/// </summary>
public sealed class JobStore : IDisposable
{
    public const int SchemaVersion = 2;
    readonly SqliteConnection db;
    readonly Lock gate = new();
    /// <summary>Each job's last event number (under <see cref="gate"/>), once read or written.</summary>
    readonly Dictionary<string, long> lastSeq = new(StringComparer.Ordinal);
    readonly TimeProvider time;

    JobStore(SqliteConnection db, TimeProvider time)
    {
        this.db = db;
        this.time = time;
    }

    /// <param name="time">The clock events are stamped with (<see cref="JobEvent.AtUnixMs"/>); default: the system's.</param>
    public static JobStore Open(string path, TimeProvider? time = null)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        db.Open();
        try
        {
            Execute(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
            Execute(db, "CREATE TABLE IF NOT EXISTS schema(version INTEGER NOT NULL)");
            using (var read = db.CreateCommand())
            {
                read.CommandText = "SELECT version FROM schema";
                var version = read.ExecuteScalar() is long v ? (int)v : 0;
                if (version > SchemaVersion)
                    throw new InvalidDataException($"the job store {path} has schema {version}, newer than this service's {SchemaVersion}: run the newer rendernet");
                if (version < 1) Migrate1(db);
                if (version < 2) Migrate2(db);
            }
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            return new JobStore(db, time ?? TimeProvider.System);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>Version 2: nodes' records across jobs (<see cref="ReputationStore"/>), one JSON document per identity.</summary>
    static void Migrate2(SqliteConnection db)
    {
        using var tx = db.BeginTransaction();
        Execute(db, "CREATE TABLE node_record(identity TEXT PRIMARY KEY, record TEXT NOT NULL); UPDATE schema SET version = 2;", tx);
        tx.Commit();
    }

    static void Migrate1(SqliteConnection db)
    {
        using var tx = db.BeginTransaction();
        Execute(db, """
            CREATE TABLE job(id TEXT PRIMARY KEY, submission TEXT NOT NULL, state TEXT NOT NULL, priority INTEGER NOT NULL, created TEXT NOT NULL,
                             tiles_done INTEGER NOT NULL DEFAULT 0, tiles_total INTEGER NOT NULL DEFAULT 0, frames INTEGER NOT NULL DEFAULT 0,
                             frame_width INTEGER NOT NULL DEFAULT 0, frame_height INTEGER NOT NULL DEFAULT 0, cost_wei TEXT NOT NULL DEFAULT '0',
                             elapsed REAL NOT NULL DEFAULT 0, error TEXT, receipt TEXT);
            CREATE TABLE event(job TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, frame_index INTEGER NOT NULL, tile INTEGER NOT NULL,
                               body TEXT NOT NULL, PRIMARY KEY(job, seq));
            DELETE FROM schema; INSERT INTO schema(version) VALUES (1);
            """, tx);
        tx.Commit();
    }

    static void Execute(SqliteConnection db, string sql, SqliteTransaction? tx = null)
    {
        using var command = db.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Runs <paramref name="action"/> on the store's connection, alone (another table in the same file).</summary>
    internal T Use<T>(Func<SqliteConnection, T> action)
    {
        lock (gate) return action(db);
    }

    public void Insert(StoredJob job)
    {
        lock (gate)
        {
            using var insert = db.CreateCommand();
            insert.CommandText = """
                INSERT INTO job(id, submission, state, priority, created, tiles_total, frames, frame_width, frame_height)
                VALUES ($id, $submission, $state, $priority, $created, $total, $frames, $w, $h)
                """;
            insert.Parameters.AddWithValue("$id", job.Id);
            insert.Parameters.AddWithValue("$submission", JsonSerializer.Serialize(job.Submission, Json.Options));
            insert.Parameters.AddWithValue("$state", job.State);
            insert.Parameters.AddWithValue("$priority", job.Priority);
            insert.Parameters.AddWithValue("$created", job.Created.ToString("O"));
            insert.Parameters.AddWithValue("$total", job.TilesTotal);
            insert.Parameters.AddWithValue("$frames", job.Frames);
            insert.Parameters.AddWithValue("$w", job.FrameWidth);
            insert.Parameters.AddWithValue("$h", job.FrameHeight);
            insert.ExecuteNonQuery();
        }
    }

    /// <summary>Saves where a job stands (state, progress, cost, error, receipt).</summary>
    public void Update(StoredJob job)
    {
        lock (gate)
        {
            using var update = db.CreateCommand();
            update.CommandText = """
                UPDATE job SET state = $state, priority = $priority, tiles_done = $done, cost_wei = $cost, elapsed = $elapsed,
                               error = $error, receipt = $receipt WHERE id = $id
                """;
            update.Parameters.AddWithValue("$id", job.Id);
            update.Parameters.AddWithValue("$state", job.State);
            update.Parameters.AddWithValue("$priority", job.Priority);
            update.Parameters.AddWithValue("$done", job.TilesDone);
            update.Parameters.AddWithValue("$cost", job.CostWei);
            update.Parameters.AddWithValue("$elapsed", job.ElapsedSeconds);
            update.Parameters.AddWithValue("$error", job.Error is null ? DBNull.Value : JsonSerializer.Serialize(job.Error, Json.Options));
            update.Parameters.AddWithValue("$receipt", job.Receipt is null ? DBNull.Value : JsonSerializer.Serialize(job.Receipt, Json.Options));
            update.ExecuteNonQuery();
        }
    }

    public StoredJob? Get(string id) => Query("WHERE id = $id", ("$id", id)).FirstOrDefault();

    /// <summary>Every job, newest first.</summary>
    public IReadOnlyList<StoredJob> All() => Query("ORDER BY created DESC");

    IReadOnlyList<StoredJob> Query(string where, params (string Name, object Value)[] parameters)
    {
        lock (gate)
        {
            using var query = db.CreateCommand();
            query.CommandText = "SELECT id, submission, state, priority, created, tiles_done, tiles_total, frames, frame_width, frame_height, cost_wei, elapsed, error, receipt FROM job " + where;
            foreach (var (name, value) in parameters) query.Parameters.AddWithValue(name, value);
            using var reader = query.ExecuteReader();
            var jobs = new List<StoredJob>();
            while (reader.Read())
                jobs.Add(new StoredJob(reader.GetString(0), JsonSerializer.Deserialize<JobSubmission>(reader.GetString(1), Json.Options)!, reader.GetString(2), reader.GetInt32(3),
                    DateTime.Parse(reader.GetString(4), null, System.Globalization.DateTimeStyles.RoundtripKind), reader.GetInt32(5), reader.GetInt32(6), reader.GetInt32(7),
                    reader.GetInt32(8), reader.GetInt32(9), reader.GetString(10), reader.GetDouble(11),
                    reader.IsDBNull(12) ? null : JsonSerializer.Deserialize<JobError>(reader.GetString(12), Json.Options),
                    reader.IsDBNull(13) ? null : JsonSerializer.Deserialize<JobReceipt>(reader.GetString(13), Json.Options)));
            return jobs;
        }
    }

    /// <summary>Appends an event (its seq is set here: the job's last + 1) and returns it as stored.</summary>
    public StoredEvent Append(string jobId, JobEvent e, int frameIndex = -1, int tile = -1)
    {
        lock (gate)
        {
            // This connection is the file's only writer: each job's last number is read once, then counted here.
            if (!lastSeq.TryGetValue(jobId, out long seq))
            {
                using var last = db.CreateCommand();
                last.CommandText = "SELECT COALESCE(MAX(seq), 0) FROM event WHERE job = $job";
                last.Parameters.AddWithValue("$job", jobId);
                seq = (long)last.ExecuteScalar()!;
            }
            e.Seq = seq + 1;
            e.AtUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds();
            string body = JsonSerializer.Serialize(e, Json.Options);
            using var insert = db.CreateCommand();
            insert.CommandText = "INSERT INTO event(job, seq, type, frame_index, tile, body) VALUES ($job, $seq, $type, $frame, $tile, $body)";
            insert.Parameters.AddWithValue("$job", jobId);
            insert.Parameters.AddWithValue("$seq", e.Seq);
            insert.Parameters.AddWithValue("$type", e.Type);
            insert.Parameters.AddWithValue("$frame", frameIndex);
            insert.Parameters.AddWithValue("$tile", tile);
            insert.Parameters.AddWithValue("$body", body);
            insert.ExecuteNonQuery();
            lastSeq[jobId] = e.Seq;
            return new StoredEvent(e.Seq, e.Type, frameIndex, tile, body);
        }
    }

    /// <summary>Up to <paramref name="limit"/> events after <paramref name="after"/>, in order.</summary>
    public IReadOnlyList<StoredEvent> EventsAfter(string jobId, long after, int limit = 256)
    {
        lock (gate)
        {
            using var query = db.CreateCommand();
            query.CommandText = "SELECT seq, type, frame_index, tile, body FROM event WHERE job = $job AND seq > $after ORDER BY seq LIMIT $limit";
            query.Parameters.AddWithValue("$job", jobId);
            query.Parameters.AddWithValue("$after", after);
            query.Parameters.AddWithValue("$limit", limit);
            using var reader = query.ExecuteReader();
            var events = new List<StoredEvent>();
            while (reader.Read()) events.Add(new StoredEvent(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetString(4)));
            return events;
        }
    }

    public long LastEvent(string jobId)
    {
        lock (gate)
        {
            using var query = db.CreateCommand();
            query.CommandText = "SELECT COALESCE(MAX(seq), 0) FROM event WHERE job = $job";
            query.Parameters.AddWithValue("$job", jobId);
            return (long)query.ExecuteScalar()!;
        }
    }

    /// <summary>The tiles of a frame that already have a tile event (a resumed job announces only the others).</summary>
    public HashSet<int> AnnouncedTiles(string jobId, int frameIndex)
    {
        lock (gate)
        {
            using var query = db.CreateCommand();
            query.CommandText = "SELECT DISTINCT tile FROM event WHERE job = $job AND type IN ('tile', 'segment') AND frame_index = $frame";
            query.Parameters.AddWithValue("$job", jobId);
            query.Parameters.AddWithValue("$frame", frameIndex);
            using var reader = query.ExecuteReader();
            var tiles = new HashSet<int>();
            while (reader.Read()) tiles.Add(reader.GetInt32(0));
            return tiles;
        }
    }

    public void Dispose() => db.Dispose();
}

/// <summary>The JSON settings of the API and the store: the web defaults (camelCase), as the client uses.</summary>
static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
}

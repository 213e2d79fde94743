using Google.Protobuf;
using Microsoft.Data.Sqlite;
using RenderNet.Core.Tiles;
using RenderNet.Protocol;

namespace RenderNet.Farm;

/// <summary>
/// A job's durable state in an embedded SQLite database: the spec (scene bytes included, so a resume needs nothing
/// else), every tile delivered (its compressed pixels and hash, the node, the time) and every attempt. A tile is
/// written here before it counts as done, so a coordinator killed at any moment resumes without re-rendering it.
/// </summary>
public sealed class TileJournal : IDisposable
{
    readonly SqliteConnection db;
    readonly Lock gate = new();

    public FarmJobSpec Spec { get; }
    public string Path { get; }

    TileJournal(SqliteConnection db, FarmJobSpec spec, string path)
    {
        this.db = db;
        Spec = spec;
        Path = path;
    }

    public static string PathFor(string directory, string jobId) => System.IO.Path.Combine(directory, jobId + ".sqlite");

    public static TileJournal Create(string directory, FarmJobSpec spec)
    {
        Directory.CreateDirectory(directory);
        string path = PathFor(directory, spec.JobId);
        if (File.Exists(path)) throw new IOException($"job journal '{path}' already exists");
        // Owner-only from the first byte: the journal holds the whole scene (SQLite gives its WAL the same mode).
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (new FileStream(path, options)) { }
        var db = OpenConnection(path);
        Execute(db, """
            CREATE TABLE job(id TEXT PRIMARY KEY, created TEXT NOT NULL, scene_sha256 TEXT NOT NULL, scene BLOB NOT NULL,
                             frame BLOB NOT NULL, tile_width INTEGER NOT NULL, tile_height INTEGER NOT NULL, completed TEXT);
            CREATE TABLE tile(idx INTEGER PRIMARY KEY, x INTEGER NOT NULL, y INTEGER NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
                              node TEXT NOT NULL, pixels_zlib BLOB NOT NULL, pixels_sha256 TEXT NOT NULL, render_seconds REAL NOT NULL, delivered TEXT NOT NULL);
            CREATE TABLE attempt(id INTEGER PRIMARY KEY AUTOINCREMENT, idx INTEGER NOT NULL, node TEXT NOT NULL, started TEXT NOT NULL,
                                 finished TEXT NOT NULL, outcome TEXT NOT NULL);
            CREATE TABLE voucher(id INTEGER PRIMARY KEY AUTOINCREMENT, node TEXT NOT NULL, channel TEXT NOT NULL, cumulative_amount TEXT NOT NULL,
                                 tiles TEXT NOT NULL, signature TEXT NOT NULL, issued TEXT NOT NULL);
            CREATE TABLE channel(node TEXT PRIMARY KEY, channel TEXT NOT NULL, price TEXT NOT NULL, escrow TEXT NOT NULL, chain_id INTEGER NOT NULL);
            """);
        using var insert = db.CreateCommand();
        insert.CommandText = "INSERT INTO job(id, created, scene_sha256, scene, frame, tile_width, tile_height) VALUES ($id, $created, $sha, $scene, $frame, $tw, $th)";
        insert.Parameters.AddWithValue("$id", spec.JobId);
        insert.Parameters.AddWithValue("$created", DateTime.UtcNow.ToString("O"));
        insert.Parameters.AddWithValue("$sha", spec.SceneSha256);
        insert.Parameters.AddWithValue("$scene", spec.SceneGlb);
        // The frame is kept as the protocol's own message: one encoding of a frame, shared with the wire.
        insert.Parameters.AddWithValue("$frame", FrameMessages.ToRequest(spec.SceneSha256, spec.Frame, new TileRect(0, 0, 1, 1), spec.JobId, 0).ToByteArray());
        insert.Parameters.AddWithValue("$tw", spec.TileWidth);
        insert.Parameters.AddWithValue("$th", spec.TileHeight);
        insert.ExecuteNonQuery();
        return new TileJournal(db, spec, path);
    }

    public static TileJournal Open(string directory, string jobId)
    {
        string path = PathFor(directory, jobId);
        if (!File.Exists(path)) throw new FileNotFoundException($"no journal for job '{jobId}' in '{directory}'", path);
        var db = OpenConnection(path);
        try
        {
            using var query = db.CreateCommand();
            query.CommandText = "SELECT scene_sha256, scene, frame, tile_width, tile_height FROM job WHERE id = $id";
            query.Parameters.AddWithValue("$id", jobId);
            using var reader = query.ExecuteReader();
            if (!reader.Read()) throw new InvalidDataException($"journal '{path}' does not describe job '{jobId}'");
            var (frame, _) = FrameMessages.FromRequest(TileRequest.Parser.ParseFrom((byte[])reader["frame"]));
            var spec = new FarmJobSpec(jobId, (byte[])reader["scene"], reader.GetString(0), frame, reader.GetInt32(3), reader.GetInt32(4));
            return new TileJournal(db, spec, path);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    static SqliteConnection OpenConnection(string path)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        db.Open();
        // WAL + FULL sync: a committed tile survives a killed process or a power cut.
        Execute(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
        // Convictions (added after the first journals were written): who was outvoted, so a resume never re-admits it.
        Execute(db, "CREATE TABLE IF NOT EXISTS conviction(node TEXT PRIMARY KEY, convicted TEXT NOT NULL, reason TEXT NOT NULL);");
        return db;
    }

    static void Execute(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Tiles already delivered, verified again against their stored hash.</summary>
    public IReadOnlyDictionary<int, (float[] Pixels, string Node)> DeliveredTiles()
    {
        var tiles = new Dictionary<int, (float[], string)>();
        lock (gate)
        {
            using var query = db.CreateCommand();
            query.CommandText = "SELECT idx, width, height, pixels_zlib, pixels_sha256, node FROM tile";
            using var reader = query.ExecuteReader();
            while (reader.Read())
            {
                int idx = reader.GetInt32(0);
                var rect = Spec.Plan.Tiles[idx];
                var result = new TileResult
                {
                    Width = (uint)reader.GetInt32(1), Height = (uint)reader.GetInt32(2),
                    PixelsZlib = ByteString.CopyFrom((byte[])reader["pixels_zlib"]), PixelsSha256 = reader.GetString(4),
                };
                tiles[idx] = (TilePixels.Decode(result, rect), reader.GetString(5));
            }
        }
        return tiles;
    }

    public void SaveTile(int index, string node, TileResult result)
    {
        var rect = Spec.Plan.Tiles[index];
        lock (gate)
        {
            // REPLACE: a tile is saved again when a spot check replaces it or it is redone after its node was outvoted.
            using var insert = db.CreateCommand();
            insert.CommandText = """
                INSERT OR REPLACE INTO tile(idx, x, y, width, height, node, pixels_zlib, pixels_sha256, render_seconds, delivered)
                VALUES ($idx, $x, $y, $w, $h, $node, $pixels, $sha, $seconds, $at)
                """;
            insert.Parameters.AddWithValue("$idx", index);
            insert.Parameters.AddWithValue("$x", rect.X);
            insert.Parameters.AddWithValue("$y", rect.Y);
            insert.Parameters.AddWithValue("$w", rect.Width);
            insert.Parameters.AddWithValue("$h", rect.Height);
            insert.Parameters.AddWithValue("$node", node);
            insert.Parameters.AddWithValue("$pixels", result.PixelsZlib.ToByteArray());
            insert.Parameters.AddWithValue("$sha", result.PixelsSha256);
            insert.Parameters.AddWithValue("$seconds", result.RenderSeconds);
            insert.Parameters.AddWithValue("$at", DateTime.UtcNow.ToString("O"));
            insert.ExecuteNonQuery();
        }
    }

    public void RecordAttempt(int index, string node, DateTime started, string outcome)
    {
        lock (gate)
        {
            using var insert = db.CreateCommand();
            insert.CommandText = "INSERT INTO attempt(idx, node, started, finished, outcome) VALUES ($idx, $node, $started, $finished, $outcome)";
            insert.Parameters.AddWithValue("$idx", index);
            insert.Parameters.AddWithValue("$node", node);
            insert.Parameters.AddWithValue("$started", started.ToString("O"));
            insert.Parameters.AddWithValue("$finished", DateTime.UtcNow.ToString("O"));
            insert.Parameters.AddWithValue("$outcome", outcome);
            insert.ExecuteNonQuery();
        }
    }

    /// <summary>Attempts as (tile, node, started, outcome), oldest first.</summary>
    public IReadOnlyList<(int Tile, string Node, DateTime Started, string Outcome)> Attempts()
    {
        var list = new List<(int, string, DateTime, string)>();
        lock (gate)
        {
            using var query = db.CreateCommand();
            query.CommandText = "SELECT idx, node, started, outcome FROM attempt ORDER BY id";
            using var reader = query.ExecuteReader();
            while (reader.Read())
                list.Add((reader.GetInt32(0), reader.GetString(1), DateTime.Parse(reader.GetString(2), null, System.Globalization.DateTimeStyles.RoundtripKind), reader.GetString(3)));
        }
        return list;
    }

    /// <summary>
    /// Records that a node was outvoted in a spot check and drops the tiles it delivered (other than
    /// <paramref name="keep"/>, already replaced by the majority's), in one transaction: a job resumed after this
    /// neither restores the liar's tiles nor lets the liar back in.
    /// </summary>
    public void RecordConviction(string address, string reason, IEnumerable<int> retracted)
    {
        lock (gate)
        {
            using var tx = db.BeginTransaction();
            using (var insert = db.CreateCommand())
            {
                insert.Transaction = tx;
                insert.CommandText = "INSERT OR REPLACE INTO conviction(node, convicted, reason) VALUES ($node, $at, $reason)";
                insert.Parameters.AddWithValue("$node", address);
                insert.Parameters.AddWithValue("$at", DateTime.UtcNow.ToString("O"));
                insert.Parameters.AddWithValue("$reason", reason);
                insert.ExecuteNonQuery();
            }
            foreach (int index in retracted)
            {
                using var delete = db.CreateCommand();
                delete.Transaction = tx;
                delete.CommandText = "DELETE FROM tile WHERE idx = $idx";
                delete.Parameters.AddWithValue("$idx", index);
                delete.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    /// <summary>Addresses of the nodes convicted in this job, with why.</summary>
    public IReadOnlyDictionary<string, string> Convicted()
    {
        var convicted = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        lock (gate)
        {
            using var query = db.CreateCommand();
            query.CommandText = "SELECT node, reason FROM conviction";
            using var reader = query.ExecuteReader();
            while (reader.Read()) convicted[reader.GetString(0)] = reader.GetString(1);
        }
        return convicted;
    }

    /// <summary>How many tiles of the job a node (by address) delivered.</summary>
    public int TilesDeliveredBy(string address)
    {
        lock (gate)
        {
            using var query = db.CreateCommand();
            query.CommandText = "SELECT node FROM tile";
            using var reader = query.ExecuteReader();
            int count = 0;
            while (reader.Read())
            {
                string node = reader.GetString(0);
                if (node == address || node.EndsWith($"({address})", StringComparison.Ordinal)) count++;
            }
            return count;
        }
    }

    /// <summary>Records the channel a node is paid through, so a resumed job keeps paying on it.</summary>
    public void SaveChannel(string node, System.Numerics.BigInteger channel, System.Numerics.BigInteger price, string escrow, long chainId)
    {
        lock (gate)
        {
            using var insert = db.CreateCommand();
            insert.CommandText = "INSERT OR REPLACE INTO channel(node, channel, price, escrow, chain_id) VALUES ($node, $channel, $price, $escrow, $chain)";
            insert.Parameters.AddWithValue("$node", node);
            insert.Parameters.AddWithValue("$channel", channel.ToString());
            insert.Parameters.AddWithValue("$price", price.ToString());
            insert.Parameters.AddWithValue("$escrow", escrow);
            insert.Parameters.AddWithValue("$chain", chainId);
            insert.ExecuteNonQuery();
        }
    }

    /// <summary>A node's channel on the given escrow, with its latest journaled voucher, if the job paid it before.</summary>
    public (System.Numerics.BigInteger Channel, System.Numerics.BigInteger Price, RenderNet.Payments.Voucher? Latest)? PaymentState(string node, string escrow, long chainId)
    {
        lock (gate)
        {
            using var query = db.CreateCommand();
            query.CommandText = "SELECT channel, price FROM channel WHERE node = $node AND escrow = $escrow AND chain_id = $chain";
            query.Parameters.AddWithValue("$node", node);
            query.Parameters.AddWithValue("$escrow", escrow);
            query.Parameters.AddWithValue("$chain", chainId);
            using var reader = query.ExecuteReader();
            if (!reader.Read()) return null;
            var channel = System.Numerics.BigInteger.Parse(reader.GetString(0));
            var price = System.Numerics.BigInteger.Parse(reader.GetString(1));
            reader.Close();
            using var latest = db.CreateCommand();
            latest.CommandText = "SELECT cumulative_amount, tiles, signature FROM voucher WHERE node = $node AND channel = $channel ORDER BY id DESC LIMIT 1";
            latest.Parameters.AddWithValue("$node", node);
            latest.Parameters.AddWithValue("$channel", channel.ToString());
            using var v = latest.ExecuteReader();
            RenderNet.Payments.Voucher? voucher = v.Read()
                ? new RenderNet.Payments.Voucher(channel, System.Numerics.BigInteger.Parse(v.GetString(0)), System.Numerics.BigInteger.Parse(v.GetString(1)), v.GetString(2))
                : null;
            return (channel, price, voucher);
        }
    }

    /// <summary>Records a voucher before it is sent, so that no tile is ever paid twice, even across a resume.</summary>
    public void SaveVoucher(string node, RenderNet.Payments.Voucher voucher)
    {
        lock (gate)
        {
            using var insert = db.CreateCommand();
            insert.CommandText = "INSERT INTO voucher(node, channel, cumulative_amount, tiles, signature, issued) VALUES ($node, $channel, $amount, $tiles, $sig, $at)";
            insert.Parameters.AddWithValue("$node", node);
            insert.Parameters.AddWithValue("$channel", voucher.Channel.ToString());
            insert.Parameters.AddWithValue("$amount", voucher.CumulativeAmount.ToString());
            insert.Parameters.AddWithValue("$tiles", voucher.Tiles.ToString());
            insert.Parameters.AddWithValue("$sig", voucher.Signature);
            insert.Parameters.AddWithValue("$at", DateTime.UtcNow.ToString("O"));
            insert.ExecuteNonQuery();
        }
    }

    public void MarkCompleted()
    {
        lock (gate) Execute(db, $"UPDATE job SET completed = '{DateTime.UtcNow:O}'");
    }

    public void Dispose() => db.Dispose();
}

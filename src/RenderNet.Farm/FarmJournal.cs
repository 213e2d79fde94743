using Microsoft.Data.Sqlite;

namespace RenderNet.Farm;

/// <summary>
/// What every farm job journals, whatever its units are: attempts, the payment channel and every voucher of each paid
/// node (a voucher is journaled before it is sent, so nothing is paid twice across a resume), the units each node
/// delivered, and convictions. SQLite in WAL mode with synchronous=FULL, created owner-only. <see cref="TileJournal"/>
/// adds a render job's spec and pixels; <see cref="TranscodeJournal"/> a transcode job's deliveries.
/// </summary>
public abstract class FarmJournal : IDisposable
{
    protected SqliteConnection Db { get; }
    protected Lock Gate { get; } = new();
    public string Path { get; }

    protected FarmJournal(SqliteConnection db, string path)
    {
        Db = db;
        Path = path;
    }

    /// <summary>A new journal file, readable by its owner only from the first byte (SQLite gives its WAL the same mode).</summary>
    protected static SqliteConnection CreateConnection(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (new FileStream(path, options)) { }
        return OpenConnection(path);
    }

    protected static SqliteConnection OpenConnection(string path)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        db.Open();
        // WAL + FULL sync: a committed unit survives a killed process or a power cut.
        Execute(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
        Execute(db, """
            CREATE TABLE IF NOT EXISTS attempt(id INTEGER PRIMARY KEY AUTOINCREMENT, idx INTEGER NOT NULL, node TEXT NOT NULL, started TEXT NOT NULL,
                                               finished TEXT NOT NULL, outcome TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS voucher(id INTEGER PRIMARY KEY AUTOINCREMENT, node TEXT NOT NULL, channel TEXT NOT NULL, cumulative_amount TEXT NOT NULL,
                                               tiles TEXT NOT NULL, signature TEXT NOT NULL, issued TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS channel(node TEXT PRIMARY KEY, channel TEXT NOT NULL, price TEXT NOT NULL, escrow TEXT NOT NULL, chain_id INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS conviction(node TEXT PRIMARY KEY, convicted TEXT NOT NULL, reason TEXT NOT NULL);
            """);
        return db;
    }

    protected static void Execute(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    protected static long Scalar(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar());
    }

    /// <summary>Units a node (by address, or a name ending in "(address)") delivered, by index.</summary>
    public abstract IReadOnlyList<int> DeliveredBy(string address);

    /// <summary>Drops delivered units inside a conviction's transaction.</summary>
    protected abstract void Retract(SqliteTransaction tx, IEnumerable<int> units);

    public abstract void MarkCompleted();

    /// <summary>Runs <paramref name="sql"/> (with its (idx, node) columns) and keeps the indices delivered by <paramref name="address"/>.</summary>
    protected IReadOnlyList<int> DeliveredBy(string sql, string address)
    {
        var units = new List<int>();
        lock (Gate)
        {
            using var query = Db.CreateCommand();
            query.CommandText = sql;
            using var reader = query.ExecuteReader();
            while (reader.Read())
            {
                string node = reader.GetString(1);
                if (node == address || node.EndsWith($"({address})", StringComparison.Ordinal)) units.Add(reader.GetInt32(0));
            }
        }
        return units;
    }

    protected void Delete(SqliteTransaction tx, string sql, IEnumerable<int> units)
    {
        foreach (int index in units)
        {
            using var delete = Db.CreateCommand();
            delete.Transaction = tx;
            delete.CommandText = sql;
            delete.Parameters.AddWithValue("$idx", index);
            delete.ExecuteNonQuery();
        }
    }

    public void RecordAttempt(int index, string node, DateTime started, string outcome)
    {
        lock (Gate)
        {
            using var insert = Db.CreateCommand();
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
        lock (Gate)
        {
            using var query = Db.CreateCommand();
            query.CommandText = "SELECT idx, node, started, outcome FROM attempt ORDER BY id";
            using var reader = query.ExecuteReader();
            while (reader.Read())
                list.Add((reader.GetInt32(0), reader.GetString(1), DateTime.Parse(reader.GetString(2), null, System.Globalization.DateTimeStyles.RoundtripKind), reader.GetString(3)));
        }
        return list;
    }

    /// <summary>
    /// Records that a node was outvoted in a spot check and drops the units it delivered (<paramref name="retracted"/>),
    /// in one transaction: a job resumed after this neither restores the liar's work nor lets the liar back in.
    /// </summary>
    public void RecordConviction(string address, string reason, IEnumerable<int> retracted)
    {
        lock (Gate)
        {
            using var tx = Db.BeginTransaction();
            using (var insert = Db.CreateCommand())
            {
                insert.Transaction = tx;
                insert.CommandText = "INSERT OR REPLACE INTO conviction(node, convicted, reason) VALUES ($node, $at, $reason)";
                insert.Parameters.AddWithValue("$node", address);
                insert.Parameters.AddWithValue("$at", DateTime.UtcNow.ToString("O"));
                insert.Parameters.AddWithValue("$reason", reason);
                insert.ExecuteNonQuery();
            }
            Retract(tx, retracted);
            tx.Commit();
        }
    }

    /// <summary>Addresses of the nodes convicted in this job, with why.</summary>
    public IReadOnlyDictionary<string, string> Convicted()
    {
        var convicted = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        lock (Gate)
        {
            using var query = Db.CreateCommand();
            query.CommandText = "SELECT node, reason FROM conviction";
            using var reader = query.ExecuteReader();
            while (reader.Read()) convicted[reader.GetString(0)] = reader.GetString(1);
        }
        return convicted;
    }

    /// <summary>Records the channel a node is paid through, so a resumed job keeps paying on it.</summary>
    public void SaveChannel(string node, System.Numerics.BigInteger channel, System.Numerics.BigInteger price, string escrow, long chainId)
    {
        lock (Gate)
        {
            using var insert = Db.CreateCommand();
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
        lock (Gate)
        {
            using var query = Db.CreateCommand();
            query.CommandText = "SELECT channel, price FROM channel WHERE node = $node AND escrow = $escrow AND chain_id = $chain";
            query.Parameters.AddWithValue("$node", node);
            query.Parameters.AddWithValue("$escrow", escrow);
            query.Parameters.AddWithValue("$chain", chainId);
            using var reader = query.ExecuteReader();
            if (!reader.Read()) return null;
            var channel = System.Numerics.BigInteger.Parse(reader.GetString(0));
            var price = System.Numerics.BigInteger.Parse(reader.GetString(1));
            reader.Close();
            using var latest = Db.CreateCommand();
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
        lock (Gate)
        {
            using var insert = Db.CreateCommand();
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

    public void Dispose()
    {
        Db.Dispose();
        GC.SuppressFinalize(this);
    }
}

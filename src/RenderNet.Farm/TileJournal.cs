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
public sealed class TileJournal : FarmJournal
{
    public FarmJobSpec Spec { get; }

    TileJournal(SqliteConnection db, FarmJobSpec spec, string path) : base(db, path)
    {
        Spec = spec;
    }

    public static string PathFor(string directory, string jobId) => System.IO.Path.Combine(directory, jobId + ".sqlite");

    public static TileJournal Create(string directory, FarmJobSpec spec)
    {
        Directory.CreateDirectory(directory);
        string path = PathFor(directory, spec.JobId);
        if (File.Exists(path)) throw new IOException($"job journal '{path}' already exists");
        var db = CreateConnection(path);
        Execute(db, """
            CREATE TABLE job(id TEXT PRIMARY KEY, created TEXT NOT NULL, scene_sha256 TEXT NOT NULL, scene BLOB NOT NULL,
                             frame BLOB NOT NULL, tile_width INTEGER NOT NULL, tile_height INTEGER NOT NULL, completed TEXT,
                             scene_sources TEXT NOT NULL DEFAULT '[]');
            CREATE TABLE tile(idx INTEGER PRIMARY KEY, x INTEGER NOT NULL, y INTEGER NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
                              node TEXT NOT NULL, pixels_zlib BLOB NOT NULL, pixels_sha256 TEXT NOT NULL, render_seconds REAL NOT NULL, delivered TEXT NOT NULL);
            """);
        using var insert = db.CreateCommand();
        insert.CommandText = "INSERT INTO job(id, created, scene_sha256, scene, frame, tile_width, tile_height, scene_sources) VALUES ($id, $created, $sha, $scene, $frame, $tw, $th, $sources)";
        insert.Parameters.AddWithValue("$id", spec.JobId);
        insert.Parameters.AddWithValue("$created", DateTime.UtcNow.ToString("O"));
        insert.Parameters.AddWithValue("$sha", spec.SceneSha256);
        insert.Parameters.AddWithValue("$scene", spec.SceneGlb);
        // The frame is kept as the protocol's own message: one encoding of a frame, shared with the wire.
        insert.Parameters.AddWithValue("$frame", FrameMessages.ToRequest(spec.SceneSha256, spec.Frame, new TileRect(0, 0, 1, 1), spec.JobId, 0).ToByteArray());
        insert.Parameters.AddWithValue("$tw", spec.TileWidth);
        insert.Parameters.AddWithValue("$th", spec.TileHeight);
        insert.Parameters.AddWithValue("$sources", System.Text.Json.JsonSerializer.Serialize(spec.SceneSources));
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
            // Journals written before scene sources were kept have no such column: their jobs had none to keep.
            bool hasSources = Scalar(db, "SELECT COUNT(*) FROM pragma_table_info('job') WHERE name = 'scene_sources'") > 0;
            query.CommandText = $"SELECT scene_sha256, scene, frame, tile_width, tile_height, {(hasSources ? "scene_sources" : "'[]'")} FROM job WHERE id = $id";
            query.Parameters.AddWithValue("$id", jobId);
            using var reader = query.ExecuteReader();
            if (!reader.Read()) throw new InvalidDataException($"journal '{path}' does not describe job '{jobId}'");
            var (frame, _) = FrameMessages.FromRequest(TileRequest.Parser.ParseFrom((byte[])reader["frame"]));
            string[] sources;
            try { sources = System.Text.Json.JsonSerializer.Deserialize<string[]>(reader.GetString(5)) ?? []; }
            catch (System.Text.Json.JsonException ex) { throw new InvalidDataException($"journal '{path}' has unreadable scene sources: {ex.Message}", ex); }
            if (sources.Length > SceneSources.MaxCount) throw new InvalidDataException($"journal '{path}' names {sources.Length} scene sources, more than {SceneSources.MaxCount}");
            foreach (var source in sources) SceneSources.CheckTemplate(source); // a journal is a file anyone could have edited
            var spec = new FarmJobSpec(jobId, (byte[])reader["scene"], reader.GetString(0), frame, reader.GetInt32(3), reader.GetInt32(4)) { SceneSources = sources };
            return new TileJournal(db, spec, path);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>
    /// One delivered tile's linear RGBA32F pixels (its beauty, without passes) read from a journal file by another reader (the service's event
    /// stream), or null when the tile is not (or no longer) there. SQLite's WAL lets it read while the job writes.
    /// </summary>
    public static float[]? ReadTile(string path, int index)
    {
        if (!File.Exists(path)) return null;
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        db.Open();
        using var query = db.CreateCommand();
        query.CommandText = "SELECT x, y, width, height, pixels_zlib, pixels_sha256 FROM tile WHERE idx = $i";
        query.Parameters.AddWithValue("$i", index);
        using var reader = query.ExecuteReader();
        if (!reader.Read()) return null;
        var rect = new TileRect(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3));
        var result = new TileResult { Width = (uint)rect.Width, Height = (uint)rect.Height, PixelsZlib = ByteString.CopyFrom((byte[])reader["pixels_zlib"]), PixelsSha256 = reader.GetString(5) };
        using var frameQuery = db.CreateCommand();
        frameQuery.CommandText = "SELECT frame FROM job LIMIT 1";
        var (frame, _) = FrameMessages.FromRequest(TileRequest.Parser.ParseFrom((byte[])frameQuery.ExecuteScalar()!));
        // The tile's render passes follow its RGBA: tile events carry the beauty only.
        return TilePixels.Decode(result, rect, frame.FloatsPerPixel)[..(rect.PixelCount * 4)];
    }

    /// <summary>Tiles already delivered, verified again against their stored hash.</summary>
    public IReadOnlyDictionary<int, (float[] Pixels, string Node)> DeliveredTiles()
    {
        var tiles = new Dictionary<int, (float[], string)>();
        lock (Gate)
        {
            using var query = Db.CreateCommand();
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
                tiles[idx] = (TilePixels.Decode(result, rect, Spec.Frame.FloatsPerPixel), reader.GetString(5));
            }
        }
        return tiles;
    }

    public void SaveTile(int index, string node, TileResult result)
    {
        var rect = Spec.Plan.Tiles[index];
        lock (Gate)
        {
            // REPLACE: a tile is saved again when a spot check replaces it or it is redone after its node was outvoted.
            using var insert = Db.CreateCommand();
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

    public override void MarkCompleted()
    {
        lock (Gate) Execute(Db, $"UPDATE job SET completed = '{DateTime.UtcNow:O}'");
    }

    /// <summary>Tiles a node (by address) delivered, by index.</summary>
    public override IReadOnlyList<int> DeliveredBy(string address) => DeliveredBy("SELECT idx, node FROM tile", address);

    protected override void Retract(SqliteTransaction tx, IEnumerable<int> units) => Delete(tx, "DELETE FROM tile WHERE idx = $idx", units);
}

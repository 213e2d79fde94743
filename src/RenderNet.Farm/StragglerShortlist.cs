namespace RenderNet.Farm;

/// <summary>
/// What an idle node considers copying (under the farm's lock): the tiles in flight, and the spot checks, expected to
/// finish last — an attempt far past its own pace counts as never finishing. Refreshed by the deadline monitor each
/// tick (it looks at every attempt in flight for deadlines anyway), so an idle node's visit costs the same with ten
/// tiles in flight or ten thousand.
/// </summary>
/// <param name="expectedRate">A node's expected speed in the job (measured, else declared within reason, else the fleet's).</param>
internal sealed class StragglerShortlist(Func<FarmNode, double> expectedRate)
{
    /// <summary>Entries of each list: enough for every idle node's look within a tick, few enough to keep a look cheap.</summary>
    public const int Length = 64;
    readonly List<FarmTile> tiles = [];
    readonly List<TileAttempt> checks = [];
    readonly PriorityQueue<FarmTile, double> tileHeap = new();
    readonly PriorityQueue<TileAttempt, double> checkHeap = new();

    /// <summary>Tiles in flight that may take another copy, latest expected finish first.</summary>
    public IReadOnlyList<FarmTile> Tiles => tiles;
    /// <summary>Spot checks running alone on an undisputed tile, not answered or superseded, latest expected finish first.</summary>
    public IReadOnlyList<TileAttempt> Checks => checks;

    public void Clear()
    {
        tiles.Clear();
        checks.Clear();
    }

    /// <param name="duplicable">Whether a tile in flight may take another copy.</param>
    public void Refresh(IEnumerable<FarmTile> inFlight, Func<FarmTile, bool> duplicable, IEnumerable<TileAttempt> runningChecks)
    {
        Clear();
        // A tile's earliest copy decides when it finishes; a check has one attempt.
        Latest(inFlight.Where(duplicable), t => t.Active.Min(RemainingSeconds), tileHeap, tiles);
        // Not one answered, or superseded (its tile settled by a copy; the cancelled attempt is still unwinding): copying
        // those checked a tile twice (bench scale --service: the copy's node checked the tile again).
        Latest(runningChecks.Where(Copyable), RemainingSeconds, checkHeap, checks);
    }

    /// <summary>
    /// Whether a running check may take a copy: alone on an undisputed tile still in the frame, neither answered nor
    /// superseded. Asked at the refresh and again when an idle node looks, as either may have changed in between.
    /// </summary>
    public static bool Copyable(TileAttempt check) =>
        !check.Answered && !check.Superseded && check.Tile.ActiveChecks.Count == 1 && check.Tile.Done && !check.Tile.Disputed;

    /// <summary>The <see cref="Length"/> items expected to finish last, latest first: the ones a copy would rescue most.</summary>
    static void Latest<T>(IEnumerable<T> items, Func<T, double> finish, PriorityQueue<T, double> heap, List<T> into)
    {
        foreach (var item in items)
        {
            heap.Enqueue(item, finish(item)); // a min-heap: the earliest finisher leaves first
            if (heap.Count > Length) heap.Dequeue();
        }
        while (heap.TryDequeue(out var item, out _)) into.Add(item);
        into.Reverse();
    }

    /// <summary>Seconds until an attempt is expected to end at its node's expected speed; one far past its pace may never end.</summary>
    double RemainingSeconds(TileAttempt attempt)
    {
        double rate = expectedRate(attempt.Node), ran = attempt.Elapsed.TotalSeconds;
        if (rate <= 0) return double.MaxValue;
        double expected = attempt.Work / rate;
        return DeadlinePolicy.FarPastPace(ran, expected) ? double.MaxValue : expected - ran;
    }
}

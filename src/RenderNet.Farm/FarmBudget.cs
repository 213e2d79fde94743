using System.Numerics;

namespace RenderNet.Farm;

/// <summary>
/// A job's spending against its budget (under the farm's lock): tokens paid, plus tokens held for attempts in flight —
/// a tile's price at the dearest node running it, and a speculative copy's or a spot check's own — never above
/// <see cref="FarmOptions.Budget"/>. Kept as running sums: the service reads <see cref="Spent"/> at every tile, and a
/// sum over the tiles made that O(tiles).
/// </summary>
internal sealed class FarmBudget(BigInteger? cap)
{
    /// <summary>Paid plus held.</summary>
    BigInteger committed;
    /// <summary>The part of <see cref="committed"/> held for attempts in flight.</summary>
    BigInteger held;

    public bool Capped => cap is not null;

    /// <summary>Tokens spent on work delivered (accepted tiles, paid duplicates) and on spot checks started.</summary>
    public BigInteger Spent => committed - held;

    /// <summary>Whether <paramref name="cost"/> more may be held or spent.</summary>
    public bool Fits(BigInteger cost) => cap is not { } c || committed + cost <= c;

    /// <summary>Whether the tile may run at this price: within what is held for it already, or the rest fits.</summary>
    public bool Affordable(FarmTile tile, BigInteger cost) => cost <= tile.Reserved || Fits(cost - tile.Reserved);

    /// <summary>Holds a tile's price at the node taking it, if dearer than what is held for it.</summary>
    public void HoldTile(FarmTile tile, BigInteger cost)
    {
        if (cost <= tile.Reserved) return;
        Hold(cost - tile.Reserved);
        tile.Reserved = cost;
    }

    /// <summary>
    /// Holds an attempt's own price: a speculative copy's (paid too if valid) or a spot check's — which counts as spent from
    /// its start (the cost a client sees at the job's last tile covers the checks still running) and is given back if
    /// the check ends without an answer.
    /// </summary>
    public void HoldOwn(TileAttempt attempt, BigInteger cost)
    {
        if (attempt.Check) committed += cost;
        else Hold(cost);
        attempt.Held += cost;
    }

    /// <summary>A tile accepted at this price: spent, and what was held for it freed.</summary>
    public void Settle(FarmTile tile, BigInteger cost)
    {
        committed += cost;
        ReleaseTile(tile);
    }

    /// <summary>Frees what is held for a tile (no attempt of it is left running).</summary>
    public void ReleaseTile(FarmTile tile)
    {
        Release(tile.Reserved);
        tile.Reserved = 0;
    }

    /// <summary>Frees an attempt's own hold (it ended without pay, or its pay is counted elsewhere).</summary>
    public void ReleaseOwn(TileAttempt attempt)
    {
        if (attempt.Check) committed -= attempt.Held;
        else Release(attempt.Held);
        attempt.Held = 0;
    }

    /// <summary>An attempt's own hold becomes spending (a check answered: paid once its answer is confirmed).</summary>
    public void SpendOwn(TileAttempt attempt)
    {
        if (!attempt.Check) held -= attempt.Held;
        attempt.Held = 0;
    }

    /// <summary>Work paid that nothing was held for (a valid result that lost its race).</summary>
    public void Spend(BigInteger cost) => committed += cost;

    void Hold(BigInteger cost)
    {
        committed += cost;
        held += cost;
    }

    void Release(BigInteger cost)
    {
        committed -= cost;
        held -= cost;
    }
}

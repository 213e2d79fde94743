using System.Globalization;
using RenderNet.Client.Wire;

namespace RenderNet.Service;

/// <summary>
/// The money side of an estimate, the same for renders and transcodes: work goes to nodes as they free up, so each
/// node's share of the price units follows its measured speed (equal shares when no speed is known); the maximum is
/// every unit at the dearest node, twice when spot checks are on; and the budget left is checked against both.
/// </summary>
static class EstimatedPrice
{
    /// <returns>The usable nodes' total speed (0: unknown).</returns>
    public static double Apply(EstimateReply reply, IReadOnlyList<NodeProbe> usable, long units, Func<NodeProbe, double> rate, double spotCheckRate, decimal? budgetLeft)
    {
        decimal Price(NodeProbe p) => decimal.Parse(ServiceMapping.Tokens(p.Caps!.PricePerTile), CultureInfo.InvariantCulture);
        double Rate(NodeProbe p) => rate(p) is var r && double.IsFinite(r) && r > 0 ? r : 0;
        double totalRate = usable.Sum(Rate);
        decimal expected = totalRate > 0 ? usable.Sum(p => (decimal)(Rate(p) / totalRate) * Price(p)) * units : usable.Average(Price) * units;
        decimal maxPrice = usable.Max(Price);
        decimal maximum = maxPrice * units * (spotCheckRate > 0 ? 2 : 1);
        reply.EstimatedCost = (Math.Round(expected * (1 + (decimal)spotCheckRate), 9) / 1.000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);
        reply.MaximumCost = maximum.ToString(CultureInfo.InvariantCulture);
        if (budgetLeft is { } limit)
        {
            decimal cheapest = usable.Min(Price);
            if (cheapest > limit)
                reply.Problems.Add(new ProblemLine { Message = $"the budget left ({limit} tokens) does not cover one price unit at the cheapest node's price of {cheapest}" });
            else if (maxPrice * units > limit)
                reply.Problems.Add(new ProblemLine { Severity = "warning", Message = $"the budget left ({limit} tokens) may stop the job early: its work can cost up to {maxPrice * units}" });
        }
        return totalRate;
    }
}

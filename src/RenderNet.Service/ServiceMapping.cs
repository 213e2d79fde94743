using System.Numerics;
using RenderNet.Client.Wire;

namespace RenderNet.Service;

/// <summary>Stored rows and farm numbers as the API's JSON shapes.</summary>
static class ServiceMapping
{
    const decimal WeiPerToken = 1_000_000_000_000_000_000m;

    public static string Tokens(BigInteger wei) => TokensDecimal(wei).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static decimal TokensDecimal(BigInteger wei) => (decimal)wei / WeiPerToken;

    public static BigInteger Wei(decimal tokens) => new(decimal.Round(tokens * WeiPerToken, 0));

    public static JobStatus Status(StoredJob row, long lastEvent)
    {
        double? eta = row.TilesDone > 0 && row.TilesDone < row.TilesTotal && !JobStateNames.IsFinal(row.State)
            ? row.ElapsedSeconds * (row.TilesTotal - row.TilesDone) / row.TilesDone : null;
        return new JobStatus
        {
            Id = row.Id, Kind = row.Submission.Kind, Name = row.Submission.Name, Priority = row.Priority, State = row.State,
            TilesDone = row.TilesDone, TilesTotal = row.TilesTotal, Frames = row.Frames, FrameWidth = row.FrameWidth, FrameHeight = row.FrameHeight,
            Cost = Tokens(BigInteger.Parse(row.CostWei)), ElapsedSeconds = row.ElapsedSeconds, EtaSeconds = eta, LastEvent = lastEvent,
            Error = row.Error, CreatedUtc = row.Created.ToString("O"), Receipt = JobStateNames.IsFinal(row.State) ? row.Receipt : null,
        };
    }
}

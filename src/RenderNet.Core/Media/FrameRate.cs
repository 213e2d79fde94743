using System.Globalization;

namespace RenderNet.Core.Media;

/// <summary>An exact frame rate (e.g. 30000/1001), as ffmpeg writes it.</summary>
public readonly record struct FrameRate(int Numerator, int Denominator)
{
    public double PerSecond => Numerator / (double)Denominator;

    public static bool TryParse(string? text, out FrameRate rate)
    {
        rate = default;
        if (string.IsNullOrEmpty(text)) return false;
        var parts = text.Split('/');
        if (!int.TryParse(parts[0], CultureInfo.InvariantCulture, out int n)) return false;
        int d = 1;
        if (parts.Length == 2 && !int.TryParse(parts[1], CultureInfo.InvariantCulture, out d)) return false;
        if (n <= 0 || d <= 0) return false;
        rate = new FrameRate(n, d);
        return true;
    }

    /// <summary>The rate of every <paramref name="divisor"/>-th frame.</summary>
    public FrameRate DividedBy(int divisor) => new(Numerator, Denominator * divisor);

    public override string ToString() => $"{Numerator}/{Denominator}";
}

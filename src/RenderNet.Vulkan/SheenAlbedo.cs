namespace RenderNet.Vulkan;

/// <summary>
/// Directional albedo of KHR_materials_sheen's lobe (Charlie distribution, Neubelt–Pettineo visibility, white sheen
/// colour), which the layer below is scaled down by so the two together do not reflect more than arrives. Integrated
/// here, once per material, at <see cref="Entries"/> evenly spaced view cosines that the shader interpolates between
/// (shaders/scene_shading.glsl: sheenAlbedo); the same functions as the shader's, in double.
/// </summary>
public static class SheenAlbedo
{
    public const int Entries = 16;

    /// <summary>E(μ) for μ = k / (Entries − 1), k = 0 … Entries − 1.</summary>
    public static float[] Table(float sheenRoughness)
    {
        var table = new float[Entries];
        for (int k = 0; k < Entries; k++)
            table[k] = (float)DirectionalAlbedo(sheenRoughness, Math.Max(k / (double)(Entries - 1), 1e-3));
        return table;
    }

    /// <summary>Charlie's distribution (Estevez and Kulla 2017) with α = roughness², floored as the shader floors it.</summary>
    public static double CharlieD(double sheenRoughness, double nh)
    {
        double alpha = Math.Max(sheenRoughness * sheenRoughness, 1e-3);
        double invR = 1 / alpha;
        double sin2 = Math.Max(1 - nh * nh, 0);
        return (2 + invR) * Math.Pow(sin2, invR * 0.5) / (2 * Math.PI);
    }

    /// <summary>Neubelt and Pettineo's visibility term for cloth: 1 / (4 (n·l + n·v − n·l n·v)).</summary>
    public static double Visibility(double nl, double nv) => 1 / (4 * (nl + nv - nl * nv));

    public static double DirectionalAlbedo(double sheenRoughness, double mu)
    {
        // Midpoint rule in (cos θ, φ); φ over half the circle, doubled (the lobe is symmetric about the view plane).
        const int N = 96, M = 96;
        double sv = Math.Sqrt(1 - mu * mu);
        double sum = 0;
        for (int i = 0; i < N; i++)
        {
            double c = (i + 0.5) / N, s = Math.Sqrt(1 - c * c);
            for (int j = 0; j < M; j++)
            {
                double phi = Math.PI * (j + 0.5) / M;
                // v = (sv, 0, mu), l = (s cos φ, s sin φ, c), h = normalize(v + l)
                double hx = sv + s * Math.Cos(phi), hy = s * Math.Sin(phi), hz = mu + c;
                double nh = hz / Math.Sqrt(hx * hx + hy * hy + hz * hz);
                sum += CharlieD(sheenRoughness, nh) * Visibility(c, mu) * c;
            }
        }
        return sum * (1.0 / N) * (2 * Math.PI / M);
    }
}

namespace RenderNet.Core.Scenes;

/// <summary>
/// The mip chain of a texture, down to 1×1, each level a 2×2 box average of the one above (edge texels of odd sizes
/// counted once). sRGB textures are averaged in linear light and encoded back, so a level is as bright as the one
/// above it. Levels are RGBA8 packed like <see cref="SceneTexture.Texels"/> (R in the low byte).
/// </summary>
public static class TextureMips
{
    public static IReadOnlyList<(int Width, int Height, uint[] Texels)> Build(SceneTexture texture)
    {
        var levels = new List<(int, int, uint[])> { (texture.Width, texture.Height, texture.Texels) };
        int w = texture.Width, h = texture.Height;
        var current = texture.Texels;
        Span<double> sum = stackalloc double[4];
        while (w > 1 || h > 1)
        {
            int nw = Math.Max(1, w / 2), nh = Math.Max(1, h / 2);
            var next = new uint[nw * nh];
            for (int y = 0; y < nh; y++)
                for (int x = 0; x < nw; x++)
                {
                    sum.Clear();
                    int count = 0;
                    for (int dy = 0; dy < 2; dy++)
                        for (int dx = 0; dx < 2; dx++)
                        {
                            int sx = Math.Min(2 * x + dx, w - 1), sy = Math.Min(2 * y + dy, h - 1);
                            uint t = current[sy * w + sx];
                            for (int c = 0; c < 4; c++)
                            {
                                double v = (t >> (8 * c) & 0xFF) / 255.0;
                                sum[c] += c < 3 && texture.IsSrgb ? SrgbToLinear(v) : v;
                            }
                            count++;
                        }
                    uint packed = 0;
                    for (int c = 0; c < 4; c++)
                    {
                        double v = sum[c] / count;
                        if (c < 3 && texture.IsSrgb) v = LinearToSrgb(v);
                        packed |= (uint)Math.Clamp(Math.Round(v * 255), 0, 255) << (8 * c);
                    }
                    next[y * nw + x] = packed;
                }
            levels.Add((nw, nh, next));
            (w, h, current) = (nw, nh, next);
        }
        return levels;
    }

    static double SrgbToLinear(double c) => c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
    static double LinearToSrgb(double c) => c <= 0.0031308 ? c * 12.92 : 1.055 * Math.Pow(c, 1 / 2.4) - 0.055;
}

using RenderNet.Core.Denoising;
using RenderNet.Core.Imaging;
using RenderNet.Core.Rendering;
using RenderNet.Core.Tiles;

namespace RenderNet.Core.Tests;

public class RenderPassLayoutTests
{
    [Fact]
    public void Names_parse_to_passes_and_a_wrong_name_is_named()
    {
        Assert.Equal(RenderPasses.Albedo | RenderPasses.Normal | RenderPasses.Depth, RenderPassLayout.Parse("albedo, Normal,depth"));
        Assert.Equal(RenderPasses.All, RenderPassLayout.Parse("all"));
        Assert.Equal(RenderPasses.None, RenderPassLayout.Parse("none"));
        var e = Assert.Throws<ArgumentException>(() => RenderPassLayout.Parse("albedo,glow"));
        Assert.Equal("'glow' is not a render pass (known: albedo, normal, depth, position, object, material, emission, direct, indirect, variance, all)", e.Message);
        Assert.Equal("albedo,depth", RenderPassLayout.Format(RenderPasses.Depth | RenderPasses.Albedo));
        Assert.Equal(4 + 3 + 3 + 1 + 3 + 1 + 1 + 3 + 3 + 3 + 1, RenderPassLayout.FloatsPerPixel(RenderPasses.All));
        Assert.Equal(4 * 10 + 3 * 10, RenderPassLayout.PlaneOffset(RenderPasses.Albedo | RenderPasses.Depth, RenderPasses.Depth, 10));
    }

    [Fact]
    public void The_assembler_places_every_pass_plane_where_its_tile_belongs()
    {
        var passes = RenderPasses.Albedo | RenderPasses.Depth;
        var assembler = new FrameAssembler(5, 3, passes);
        // Each tile's values say where they belong: (plane, x, y, channel), so a misplaced float shows.
        float Value(int plane, int x, int y, int c) => plane * 1000 + y * 100 + x * 10 + c;
        foreach (var tile in new TilePlan(5, 3, 2, 2).Tiles)
        {
            var data = new List<float>();
            foreach (var (plane, channels) in new[] { (0, 4), (1, 3), (2, 1) })
                for (int y = tile.Y; y < tile.Y + tile.Height; y++)
                    for (int x = tile.X; x < tile.X + tile.Width; x++)
                        for (int c = 0; c < channels; c++) data.Add(Value(plane, x, y, c));
            assembler.Place(tile, data.ToArray());
        }
        Assert.True(assembler.IsComplete);
        Assert.Equal(Value(0, 4, 2, 3), assembler.Frame.Pixels[4 * (2 * 5 + 4) + 3]);
        Assert.Equal(Value(1, 3, 1, 2), assembler.Passes[0].Values[3 * (1 * 5 + 3) + 2]);
        Assert.Equal(Value(2, 4, 2, 0), assembler.Passes[1].Values[2 * 5 + 4]);
        var e = Assert.Throws<ArgumentException>(() => new FrameAssembler(5, 3, passes).Place(new TileRect(0, 0, 2, 2), new float[16]));
        Assert.Equal("tile 2x2@0,0 needs 32 floats, got 16", e.Message);
    }

    [Fact]
    public void A_rectangle_read_from_the_frame_or_cut_from_its_tile_is_laid_out_as_a_tile_of_that_size_in_every_plane()
    {
        var passes = RenderPasses.Albedo | RenderPasses.Depth;
        float Value(int plane, int x, int y, int c) => plane * 1000 + y * 100 + x * 10 + c;
        float[] Tile(TileRect rect)
        {
            var data = new List<float>();
            foreach (var (plane, channels) in new[] { (0, 4), (1, 3), (2, 1) })
                for (int y = rect.Y; y < rect.Y + rect.Height; y++)
                    for (int x = rect.X; x < rect.X + rect.Width; x++)
                        for (int c = 0; c < channels; c++) data.Add(Value(plane, x, y, c));
            return data.ToArray();
        }
        var assembler = new FrameAssembler(9, 7, passes);
        var tile = new TileRect(2, 1, 6, 5);
        assembler.Place(tile, Tile(tile));
        var part = new TileRect(4, 3, 3, 2);
        // What a node rendering just the part would deliver, exactly: from the assembled frame and from the tile's own pixels.
        Assert.Equal(Tile(part), assembler.Read(part));
        Assert.Equal(Tile(part), TileCrop.Crop(Tile(tile), tile, part, passes));
        Assert.Equal(Tile(tile), TileCrop.Crop(Tile(tile), tile, tile, passes));
        Assert.Equal("rectangle 3x2@0,0 has pixels not placed (row 0)", Assert.Throws<InvalidOperationException>(() => assembler.Read(new TileRect(0, 0, 3, 2))).Message);
        Assert.Equal("rectangle 3x2@7,3 does not lie within tile 6x5@2,1", Assert.Throws<ArgumentException>(() => TileCrop.Crop(Tile(tile), tile, part with { X = 7 }, passes)).Message);
    }

    [Fact]
    public void The_filter_tables_are_integer_arithmetic_with_the_intended_shape()
    {
        // Built by integer squaring and multiplication only: these values are the contract the shader shares.
        Assert.Equal(4096u, AtrousFilter.NormalWeights[0]);
        Assert.Equal(0u, AtrousFilter.NormalWeights[256]);
        Assert.Equal(4096u, AtrousFilter.ColourWeights[0]);
        Assert.InRange(AtrousFilter.ColourWeights[16], 1500u, 1510u);   // 4096/e = 1506.8
        Assert.True(AtrousFilter.NormalWeights.Zip(AtrousFilter.NormalWeights.Skip(1)).All(p => p.First >= p.Second));
        Assert.InRange(AtrousFilter.ColourWeights[255], 0u, 1u);   // 4096·e^-15.9
        // The 64-bit-free division rounds exactly as 64-bit arithmetic would, for any weighted mean the filter can form
        // (25 taps, weights up to 256·36, values up to 2^24 - 1).
        var random = new Random(5);
        for (int i = 0; i < 10000; i++)
        {
            uint w = 0, hi = 0, lo = 0;
            ulong sum = 0;
            for (int t = 0; t < 25; t++)
            {
                uint weight = (uint)random.Next(0, 9217), value = i % 2 == 0 ? AtrousFilter.MaxColour - (uint)random.Next(0, 16) : (uint)random.Next(0, 1 << 24);
                w += weight; hi += weight * (value >> 12); lo += weight * (value & 4095); sum += (ulong)weight * value;
            }
            if (w == 0) continue;
            Assert.Equal((sum + w / 2) / w, AtrousFilter.Divide(hi, lo, w));
        }
    }
}

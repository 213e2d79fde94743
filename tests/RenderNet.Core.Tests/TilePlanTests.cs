using RenderNet.Core.Imaging;
using RenderNet.Core.Tiles;

namespace RenderNet.Core.Tests;

public class TilePlanTests
{
    [Theory]
    [InlineData(100, 75, 17, 13)]
    [InlineData(100, 75, 1, 1)]
    [InlineData(64, 64, 64, 64)]
    [InlineData(5, 3, 100, 100)]
    [InlineData(33, 17, 8, 8)]
    public void Every_pixel_belongs_to_exactly_one_tile(int w, int h, int tw, int th)
    {
        var plan = new TilePlan(w, h, tw, th);
        var count = new int[w * h];
        foreach (var t in plan.Tiles)
        {
            Assert.True(t.Width >= 1 && t.Height >= 1 && t.Width <= tw && t.Height <= th);
            for (int y = t.Y; y < t.Y + t.Height; y++)
                for (int x = t.X; x < t.X + t.Width; x++)
                    count[y * w + x]++;
        }
        Assert.All(count, c => Assert.Equal(1, c));
        Assert.Equal(((w + tw - 1) / tw) * ((h + th - 1) / th), plan.Tiles.Count);
    }

    [Fact]
    public void Ragged_edges_are_the_remainders()
    {
        var plan = new TilePlan(100, 75, 17, 13);
        Assert.Contains(new TileRect(85, 0, 15, 13), plan.Tiles);
        Assert.Contains(new TileRect(85, 65, 15, 10), plan.Tiles);
    }

    [Theory]
    [InlineData(0, 10, 4, 4)]
    [InlineData(10, 10, 0, 4)]
    [InlineData(-1, 10, 4, 4)]
    public void Rejects_non_positive_sizes(int w, int h, int tw, int th) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TilePlan(w, h, tw, th));

    [Fact]
    public void Assembler_places_tiles_and_refuses_overlap_and_bad_sizes()
    {
        var asm = new FrameAssembler(4, 2);
        var left = Enumerable.Range(0, 2 * 2 * 4).Select(i => (float)i).ToArray();
        asm.Place(new TileRect(0, 0, 2, 2), left);
        Assert.False(asm.IsComplete);
        Assert.Throws<InvalidOperationException>(() => asm.Place(new TileRect(1, 0, 2, 2), new float[16]));
        Assert.Throws<ArgumentException>(() => asm.Place(new TileRect(3, 0, 2, 2), new float[16]));
        Assert.Throws<ArgumentException>(() => asm.Place(new TileRect(2, 0, 2, 2), new float[15]));
        asm.Place(new TileRect(2, 0, 2, 2), Enumerable.Repeat(-1f, 16).ToArray());
        Assert.True(asm.IsComplete);
        // Row 1 of the left tile lands at row 1, columns 0..1 of the frame.
        Assert.Equal((8f, 9f, 10f, 11f), asm.Frame[0, 1]);
        Assert.Equal((-1f, -1f, -1f, -1f), asm.Frame[3, 1]);
    }
}

using RenderNet.Core.Media;

namespace RenderNet.Vulkan;

/// <summary>
/// Where the direct-plane kernels find and put a 4:2:0 frame's planes: rows padded to <paramref name="RowAlign"/>
/// bytes, each plane starting on such a boundary (16 for a source, read as uvec4; 4 for a rendition, written as
/// words), and each plane's rows padded to a multiple of <paramref name="RowMultiple"/> (renditions: 4, a pass's quad).
/// </summary>
internal readonly record struct PaddedPlanes(Yuv420Layout Layout, int RowAlign, int RowMultiple)
{
    public int LumaStride => Align(Layout.Width, RowAlign);
    public int ChromaStride => Align(Layout.ChromaWidth, RowAlign);
    public int LumaRows => Align(Layout.Height, RowMultiple);
    public int ChromaRows => Align(Layout.ChromaHeight, RowMultiple);
    public int CbOffset => LumaStride * LumaRows;
    public int CrOffset => CbOffset + ChromaStride * ChromaRows;
    public int Bytes => CrOffset + ChromaStride * ChromaRows;

    /// <summary>No padding anywhere: the layout is the packed frame's, and one copy moves it.</summary>
    public bool IsPacked => Bytes == Layout.FrameBytes;

    /// <summary>Y, Cb, Cr: byte offset, row stride in bytes, width and height in samples.</summary>
    public (int Offset, int Stride, int Width, int Height)[] Planes =>
    [
        (0, LumaStride, Layout.Width, Layout.Height),
        (CbOffset, ChromaStride, Layout.ChromaWidth, Layout.ChromaHeight),
        (CrOffset, ChromaStride, Layout.ChromaWidth, Layout.ChromaHeight),
    ];

    /// <summary>
    /// The runs of bytes that move between a packed frame (ffmpeg's yuv420p) and this layout: each row's offset in
    /// both and its length; one run when nothing is padded.
    /// </summary>
    public IEnumerable<(int Packed, int Padded, int Length)> Runs()
    {
        if (IsPacked)
        {
            yield return (0, 0, Layout.FrameBytes);
            yield break;
        }
        int packed = 0;
        foreach (var (offset, stride, width, height) in Planes)
            for (int y = 0; y < height; y++, packed += width)
                yield return (packed, offset + y * stride, width);
    }

    static int Align(int n, int a) => (n + a - 1) / a * a;
}

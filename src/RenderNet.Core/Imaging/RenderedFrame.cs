using RenderNet.Core.Rendering;

namespace RenderNet.Core.Imaging;

/// <summary>A finished frame: the beauty image and the render passes asked for (see <see cref="RenderPasses"/>).</summary>
public sealed record RenderedFrame(FloatImage Beauty, IReadOnlyList<PassImage> Passes)
{
    public RenderedFrame(FloatImage beauty) : this(beauty, []) { }

    public int Width => Beauty.Width;
    public int Height => Beauty.Height;

    /// <summary>The pass, or null when the frame was rendered without it.</summary>
    public PassImage? Pass(RenderPasses pass) => Passes.FirstOrDefault(p => p.Info.Pass == pass);

    public static RenderedFrame From(FrameAssembler assembler) => new(assembler.Frame, assembler.Passes);
}

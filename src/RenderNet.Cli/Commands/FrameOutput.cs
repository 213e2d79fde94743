using RenderNet.Core.Denoising;
using RenderNet.Core.Imaging;
using RenderNet.Core.Rendering;
using RenderNet.Exr;

namespace RenderNet.Cli.Commands;

/// <summary>
/// What `render` writes for a finished frame: the beauty as PNG/PFM, or an EXR with every rendered pass as a layer;
/// with --denoise the beauty is the denoised frame (and the EXR keeps the noisy one as the <c>noisy</c> layer).
/// </summary>
static class FrameOutput
{
    internal sealed record Settings(RenderPasses Passes, bool Denoise, ExrWriteOptions Exr, ExrPixelType ColourType)
    {
        /// <summary>The passes to render: those asked for, and the denoiser's guides.</summary>
        public RenderPasses ToRender => Passes | (Denoise ? DenoiseInput.RequiredPasses | RenderPasses.Emission : RenderPasses.None);

        /// <summary>Parses and checks the options; throws <see cref="ArgumentException"/> naming the first wrong one.</summary>
        public static Settings Parse(string? passes, bool denoise, string compression, string type, int exrTile, ImageFormat format, string mode)
        {
            var parsed = passes is null ? RenderPasses.None : RenderPassLayout.Parse(passes);
            if (parsed != RenderPasses.None && format != ImageFormat.Exr)
                throw new ArgumentException("--passes are written as layers of an EXR file: give --out NAME.exr");
            if ((parsed != RenderPasses.None || denoise) && mode == "raster")
                throw new ArgumentException($"{(denoise ? "--denoise" : "--passes")} needs the path tracer (--mode path), not the rasteriser");
            var colourType = type.ToLowerInvariant() switch
            {
                "half" => ExrPixelType.Half,
                "float" => ExrPixelType.Float,
                _ => throw new ArgumentException($"--exr-type must be half or float, got '{type}'"),
            };
            var exr = new ExrWriteOptions { Compression = ExrWriteOptions.ParseCompression(compression), TileSize = exrTile };
            exr.Validate();
            if (format == ImageFormat.Exr && exr.Compression is ExrCompression.Dwaa or ExrCompression.Dwab && (parsed != RenderPasses.None || denoise))
                throw new ArgumentException($"--exr-compression {compression} holds the beauty only (OpenEXR 3.1's C library cannot write DWA layers): use zip or piz with --passes or --denoise");
            if (format == ImageFormat.Exr && exr.Compression is ExrCompression.Dwaa or ExrCompression.Dwab && exrTile > 0)
                throw new ArgumentException("--exr-tile: DWAA/DWAB files are written as scanlines");
            return new Settings(parsed, denoise, exr, colourType);
        }
    }

    /// <summary>Denoises when asked and writes; returns the beauty written and the seconds denoising took.</summary>
    public static (FloatImage Written, double DenoiseSeconds) Write(RenderedFrame frame, FrameSettings settings, string path, ImageFormat format,
        Settings output, Func<IFrameDenoiser> denoiser)
    {
        FloatImage? denoised = null;
        double seconds = 0;
        if (output.Denoise)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            denoised = denoiser().Denoise(frame);
            seconds = watch.Elapsed.TotalSeconds;
        }
        var beauty = denoised ?? frame.Beauty;
        if (format == ImageFormat.Exr)
            FrameExr.Write(path, new RenderedFrame(beauty, frame.Passes), settings, output.Exr, output.ColourType,
                noisyBeauty: denoised is null ? null : frame.Beauty,
                extra: [new ExrAttribute.Int("rendernet/denoised", denoised is null ? 0 : 1)]);
        else
            ImageWriter.Write(beauty, path, format);
        return (beauty, seconds);
    }
}

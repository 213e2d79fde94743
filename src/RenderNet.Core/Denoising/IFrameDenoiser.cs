using RenderNet.Core.Imaging;

namespace RenderNet.Core.Denoising;

/// <summary>
/// Denoises a whole assembled frame (never a tile: a filter that stopped at tile borders would leave seams) from its
/// beauty and guide passes. Implementations give the same bits: <see cref="CpuDenoiser"/> and the Vulkan one.
/// </summary>
public interface IFrameDenoiser
{
    /// <exception cref="ArgumentException">The frame lacks a pass the denoiser needs (see <see cref="DenoiseInput.RequiredPasses"/>).</exception>
    FloatImage Denoise(RenderedFrame frame, CancellationToken cancellation = default);
}

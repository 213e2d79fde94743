using RenderNet.Core.Media;
using Silk.NET.Vulkan;

namespace RenderNet.Vulkan;

/// <summary>
/// The transcode pipeline's GPU stage: one upload of a decoded yuv420p frame serves every rendition. A source already
/// in the delivery colour space (BT.709 limited, the common case) is resampled plane by plane without leaving Y'CbCr,
/// as swscale does: Y to the luma grid, Cb and Cr chroma grid to chroma grid at H.264's siting
/// (<see cref="Lanczos3.ForChromaPlane"/>), each a separable Lanczos-3: vertical into a transposed intermediate, then
/// horizontal, four outputs per invocation from one shared run of source samples (<see cref="PlaneFilterTable"/>).
/// Any other source
/// goes through RGB: YUV→RGB12 with the source's matrix and range; per rendition a resample to the luma grid and
/// another to the chroma grid (chroma filtered over its footprint, see <see cref="Lanczos3.ForChroma"/>);
/// then RGB→YUV 4:2:0 in BT.709 limited range. All integer arithmetic (see <see cref="YuvColorSpace"/> and
/// <see cref="Lanczos3"/>), so lavapipe and GPUs write identical bytes. One command buffer per frame.
/// </summary>
public sealed class VideoScaler : IVideoFrameScaler
{
    readonly VulkanDevice device;
    readonly Yuv420Layout source;
    readonly List<IDisposable> owned = [];
    readonly GpuBuffer upload, sourceBytes, rgb;
    readonly ComputeKernel toRgb;
    readonly Target[] targets;
    readonly YuvToRgbParams toRgbParams;
    readonly RgbToYuvParams toYuvTemplate;
    /// <summary>The source's planes as the direct-plane kernels read them; null when the source goes through RGB.</summary>
    readonly PaddedPlanes? sourcePlanes;

    record struct YuvToRgbParams(int Width, int Height, int LumaOffset, int Cy, int Crv, int Cgu, int Cgv, int Cbu);
    record struct ResampleParams(int In, int Out, int Other);
    record struct RgbToYuvParams(int Width, int Height, int LumaOffset, int Yr, int Yg, int Yb, int Ur, int Ug, int Ub, int Vr, int Vg, int Vb);

    /// <summary>A separable resample of the source RGB to one grid: two passes and their buffers.</summary>
    sealed record Resample(ComputeKernel Horizontal, ComputeKernel Vertical, int InWidth, int InHeight, int Width, int Height);

    /// <summary>
    /// One plane of the source resampled straight to a plane of the rendition: a vertical pass into a transposed
    /// intermediate, then a horizontal pass into the target's output at <paramref name="PlaneWord"/>, rows of
    /// <paramref name="StrideWords"/> words (4 samples each) and a multiple of 8 of them.
    /// </summary>
    sealed record PlaneResample(ComputeKernel Vertical, ComputeKernel Horizontal, PlaneVerticalParams Down, PlaneHorizontalParams Across);

    record struct PlaneVerticalParams(int PlaneVector, int StrideVectors, int InHeight, int OutQuads);
    record struct PlaneHorizontalParams(int InWidth, int RowOctets, int StrideWords, int PlaneWord);

    sealed class Target
    {
        public required Yuv420Layout Layout;
        /// <summary>Same size and already in the delivery colour space: the frame is passed through untouched.</summary>
        public bool Passthrough;
        public Resample? Luma;
        public Resample Chroma = null!;
        public ComputeKernel ToYuv = null!;
        /// <summary>Y, Cb and Cr resampled directly (a source in the delivery colour space); null: through RGB.</summary>
        public PlaneResample[]? Planes;
        /// <summary>Where <see cref="Planes"/> write their rows in <see cref="Output"/>.</summary>
        public PaddedPlanes OutputPlanes;
        public required GpuBuffer Output, Readback;
        public ulong OutputBytes;
    }

    /// <summary>
    /// Makes scalers on <paramref name="device"/> for the transcode pipeline. When the device is the CPU itself
    /// (lavapipe) and the source is in the delivery colour space, the same resampler runs as SIMD code instead
    /// (<see cref="CpuPlaneScaler"/>: the same bytes, several times faster than lavapipe runs the kernels).
    /// </summary>
    public static VideoFrameScalerFactory FactoryFor(VulkanDevice device) =>
        (layout, colors, targets) => ScalesOnCpu(device, colors)
            ? new CpuPlaneScaler(layout, colors, targets)
            : new VideoScaler(device, layout, colors, targets);

    /// <summary>Whether a source in <paramref name="colors"/> is better scaled by <see cref="CpuPlaneScaler"/> than on <paramref name="device"/>.</summary>
    public static bool ScalesOnCpu(VulkanDevice device, YuvColorSpace colors) =>
        device.Info.Type == GpuDeviceType.Cpu && colors == YuvColorSpace.Delivery;

    public VideoScaler(VulkanDevice device, Yuv420Layout source, YuvColorSpace sourceColors, IReadOnlyList<Yuv420Layout> targetLayouts)
        : this(device, source, sourceColors, targetLayouts, passthrough: true)
    {
    }

    /// <param name="passthrough">Pass same-size renditions of a source already in the delivery colour space through
    /// untouched (false only to test the kernels on them).</param>
    /// <param name="directPlanes">Resample a source in the delivery colour space plane by plane (false only to test
    /// the RGB path on it).</param>
    internal VideoScaler(VulkanDevice device, Yuv420Layout source, YuvColorSpace sourceColors, IReadOnlyList<Yuv420Layout> targetLayouts, bool passthrough,
        bool directPlanes = true)
    {
        this.device = device;
        this.source = source;
        try
        {
            const BufferUsageFlags storage = BufferUsageFlags.StorageBufferBit;
            bool delivery = sourceColors == YuvColorSpace.Delivery;
            if (directPlanes && delivery) sourcePlanes = new PaddedPlanes(source, RowAlign: 16, RowMultiple: 1);
            ulong sourceSize = Words(Math.Max(source.FrameBytes, sourcePlanes?.Bytes ?? 0));
            upload = Own(GpuBuffer.CreateHostVisible(device, sourceSize, BufferUsageFlags.TransferSrcBit));
            sourceBytes = Own(GpuBuffer.CreateDeviceLocal(device, sourceSize, storage));
            rgb = Own(GpuBuffer.CreateDeviceLocal(device, 12UL * (ulong)source.LumaBytes, storage));
            toRgb = Own(new ComputeKernel(device, ShaderLibrary.Load(ShaderLibrary.YuvToRgb), [DescriptorType.StorageBuffer, DescriptorType.StorageBuffer], 32));
            toRgb.Bind(0, sourceBytes);
            toRgb.Bind(1, rgb);
            var d = sourceColors.Decode;
            toRgbParams = new YuvToRgbParams(source.Width, source.Height, d.LumaOffset, d.Cy, d.Crv, d.Cgu, d.Cgv, d.Cbu);
            var e = YuvColorSpace.Delivery.Encode;
            toYuvTemplate = new RgbToYuvParams(0, 0, e.LumaOffset, e.Yr, e.Yg, e.Yb, e.Ur, e.Ug, e.Ub, e.Vr, e.Vg, e.Vb);
            targets = targetLayouts.Select(l => passthrough && l == source && delivery
                ? new Target { Layout = l, Passthrough = true, Output = null!, Readback = null! }
                : sourcePlanes is { } planes ? CreatePlaneTarget(planes, l) : CreateTarget(l)).ToArray();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    static ulong Words(int bytes) => (ulong)(bytes + 3) / 4 * 4;

    T Own<T>(T item) where T : IDisposable
    {
        owned.Add(item);
        return item;
    }

    Target CreateTarget(Yuv420Layout layout)
    {
        Resample? luma = null;
        GpuBuffer lumaRgb = rgb;
        if (layout.Width != source.Width || layout.Height != source.Height)
            (luma, lumaRgb) = CreateResample(rgb, new Lanczos3(source.Width, layout.Width), new Lanczos3(source.Height, layout.Height));
        // Chroma from the rendition-size RGB when shrinking a lot (a 2:1 filter on the smaller image: far fewer taps),
        // from the source RGB otherwise (one filter, no double softening). Both are exact integer filters.
        bool fromRendition = luma is not null && source.Width >= 2 * layout.Width && source.Height >= 2 * layout.Height;
        var (chroma, chromaRgb) = fromRendition
            ? CreateResample(lumaRgb, Lanczos3.ForChroma(layout.Width, layout.Width, cosited: true), Lanczos3.ForChroma(layout.Height, layout.Height, cosited: false))
            : CreateResample(rgb, Lanczos3.ForChroma(source.Width, layout.Width, cosited: true), Lanczos3.ForChroma(source.Height, layout.Height, cosited: false));
        ulong bytes = Words(layout.FrameBytes);
        var output = Own(GpuBuffer.CreateDeviceLocal(device, bytes, BufferUsageFlags.StorageBufferBit));
        var readback = Own(GpuBuffer.CreateHostVisible(device, bytes, BufferUsageFlags.TransferDstBit));
        var toYuv = Own(new ComputeKernel(device, ShaderLibrary.Load(ShaderLibrary.RgbToYuv420), [DescriptorType.StorageBuffer, DescriptorType.StorageBuffer, DescriptorType.StorageBuffer], 48));
        toYuv.Bind(0, lumaRgb);
        toYuv.Bind(1, chromaRgb);
        toYuv.Bind(2, output);
        return new Target { Layout = layout, Luma = luma, Chroma = chroma, ToYuv = toYuv, Output = output, Readback = readback, OutputBytes = bytes };
    }

    /// <summary>A rendition of a source already in the delivery colour space: its three planes resampled directly.</summary>
    Target CreatePlaneTarget(PaddedPlanes from, Yuv420Layout layout)
    {
        var to = new PaddedPlanes(layout, RowAlign: 4, RowMultiple: 8); // the horizontal pass writes 8 rows at a time
        ulong bytes = (ulong)to.Bytes;
        var output = Own(GpuBuffer.CreateDeviceLocal(device, bytes, BufferUsageFlags.StorageBufferBit | BufferUsageFlags.TransferSrcBit));
        var readback = Own(GpuBuffer.CreateHostVisible(device, bytes, BufferUsageFlags.TransferDstBit));
        var planes = from.Planes.Zip(to.Planes, Lanczos3.ForPlanes(source, layout))
            .Select(p => CreatePlaneResample(p.First, p.Second, p.Third.Down, p.Third.Across, output)).ToArray();
        return new Target { Layout = layout, Planes = planes, OutputPlanes = to, Output = output, Readback = readback, OutputBytes = bytes };
    }

    PlaneResample CreatePlaneResample((int Offset, int Stride, int Width, int Height) from, (int Offset, int Stride, int Width, int Height) to,
        Lanczos3 down, Lanczos3 across, GpuBuffer output)
    {
        var downTable = new PlaneFilterTable(down);
        var acrossTable = new PlaneFilterTable(across);
        // The vertical pass makes rows 4 at a time and the horizontal one reads them 8 at a time: an even number of
        // quads, the last one (zero weights) filling the padding rows.
        int strideVectors = from.Stride / 16, rowQuads = (downTable.Quads + 1) / 2 * 2;
        var downPacked = downTable.Packed;
        Array.Resize(ref downPacked, rowQuads * 4 * downTable.RecordVectors);
        // Transposed: 16 columns per source vector, each rowQuads ivec2 (8 bytes) of four 16-bit rows.
        var between = Own(GpuBuffer.CreateDeviceLocal(device, 8UL * 16 * (ulong)strideVectors * (ulong)rowQuads, BufferUsageFlags.StorageBufferBit));
        var vertical = CreatePass(ShaderLibrary.PlaneResampleVertical, sourceBytes, between, downPacked, 16, [(uint)downTable.Span]);
        var horizontal = CreatePass(ShaderLibrary.PlaneResampleHorizontal, between, output, acrossTable.Packed, 16, [(uint)acrossTable.Span]);
        return new PlaneResample(vertical, horizontal,
            new PlaneVerticalParams(from.Offset / 16, strideVectors, from.Height, rowQuads),
            new PlaneHorizontalParams(from.Width, rowQuads / 2, to.Stride / 4, to.Offset / 4));
    }

    /// <summary>One pass of a separable resample: a kernel reading <paramref name="input"/> through a filter table and writing <paramref name="output"/>.</summary>
    ComputeKernel CreatePass(string shader, GpuBuffer input, GpuBuffer output, int[] table, uint pushConstants, uint[]? specialization = null)
    {
        var buffers3 = new[] { DescriptorType.StorageBuffer, DescriptorType.StorageBuffer, DescriptorType.StorageBuffer };
        var tableBuffer = Own(GpuBuffer.CreateWithData<int>(device, table, BufferUsageFlags.StorageBufferBit));
        var kernel = Own(new ComputeKernel(device, ShaderLibrary.Load(shader), buffers3, pushConstants, specialization));
        kernel.Bind(0, input);
        kernel.Bind(1, output);
        kernel.Bind(2, tableBuffer);
        return kernel;
    }

    /// <summary>Kernels and buffers resampling the source RGB through <paramref name="across"/> then <paramref name="down"/>; returns the result buffer.</summary>
    (Resample, GpuBuffer) CreateResample(GpuBuffer input, Lanczos3 across, Lanczos3 down)
    {
        const BufferUsageFlags storage = BufferUsageFlags.StorageBufferBit;
        var between = Own(GpuBuffer.CreateDeviceLocal(device, 12UL * (ulong)across.TargetSize * (ulong)down.SourceSize, storage));
        var result = Own(GpuBuffer.CreateDeviceLocal(device, 12UL * (ulong)across.TargetSize * (ulong)down.TargetSize, storage));
        var horizontal = CreatePass(ShaderLibrary.ResampleHorizontal, input, between, across.Packed(), 12);
        var vertical = CreatePass(ShaderLibrary.ResampleVertical, between, result, down.Packed(), 12);
        return (new Resample(horizontal, vertical, across.SourceSize, down.SourceSize, across.TargetSize, down.TargetSize), result);
    }

    public void Scale(ReadOnlySpan<byte> frame, IReadOnlyList<byte[]> outputs, IReadOnlyList<bool> wanted)
    {
        if (frame.Length != source.FrameBytes)
            throw new ArgumentException($"a {source.Width}x{source.Height} yuv420p frame is {source.FrameBytes} bytes, not {frame.Length}", nameof(frame));
        var vk = device.Api;
        if (targets.Where((t, i) => wanted[i] && !t.Passthrough).Any())
        {
            if (sourcePlanes is { } padded)
                foreach (var (packed, at, length) in padded.Runs()) upload.Write(frame.Slice(packed, length), (ulong)at);
            else
                upload.Write(frame);
            device.Submit(cmd =>
            {
                var copy = new BufferCopy(0, 0, upload.Size);
                vk.CmdCopyBuffer(cmd, upload.Handle, sourceBytes.Handle, 1, in copy);
                Barrier(cmd, AccessFlags.TransferWriteBit, PipelineStageFlags.TransferBit);
                // Stage by stage across all renditions: fewer barriers, and independent renditions can overlap on the device.
                var active = targets.Where((t, i) => wanted[i] && !t.Passthrough).ToList();
                var direct = active.Where(t => t.Planes is not null).SelectMany(t => t.Planes!).ToList();
                var throughRgb = active.Where(t => t.Planes is null).ToList();
                foreach (var x in direct)
                    x.Vertical.RecordDispatch(cmd, x.Down, Groups(x.Down.StrideVectors, 64), (uint)x.Down.OutQuads);
                if (throughRgb.Count > 0)
                    toRgb.RecordDispatch(cmd, toRgbParams, Groups(source.ChromaWidth, 16), Groups(source.ChromaHeight, 16)); // one invocation per 2x2 quad
                Barrier(cmd, AccessFlags.ShaderWriteBit, PipelineStageFlags.ComputeShaderBit);
                foreach (var x in direct)
                    x.Horizontal.RecordDispatch(cmd, x.Across, Groups(x.Across.RowOctets, 64), (uint)x.Across.StrideWords);
                RecordResamples(cmd, throughRgb.Where(t => t.Luma is not null).Select(t => t.Luma!));
                RecordResamples(cmd, throughRgb.Select(t => t.Chroma)); // after luma: it may read the luma result
                foreach (var t in throughRgb)
                    t.ToYuv.RecordDispatch(cmd, toYuvTemplate with { Width = t.Layout.Width, Height = t.Layout.Height }, Groups((int)(t.OutputBytes / 4), 256), 1);
                Barrier(cmd, AccessFlags.ShaderWriteBit, PipelineStageFlags.ComputeShaderBit, AccessFlags.TransferReadBit, PipelineStageFlags.TransferBit);
                foreach (var t in active)
                {
                    var back = new BufferCopy(0, 0, t.OutputBytes);
                    vk.CmdCopyBuffer(cmd, t.Output.Handle, t.Readback.Handle, 1, in back);
                }
                Barrier(cmd, AccessFlags.TransferWriteBit, PipelineStageFlags.TransferBit, AccessFlags.HostReadBit, PipelineStageFlags.HostBit);
            }, "video scale");
        }
        for (int i = 0; i < targets.Length; i++)
        {
            if (!wanted[i]) continue;
            var t = targets[i];
            if (t.Passthrough) frame.CopyTo(outputs[i]);
            else if (t.Planes is not null)
                foreach (var (packed, at, length) in t.OutputPlanes.Runs()) t.Readback.Read(outputs[i].AsSpan(packed, length), (ulong)at);
            else t.Readback.Read(outputs[i].AsSpan(0, t.Layout.FrameBytes));
        }
    }

    /// <summary>
    /// Test access to the colour conversions alone: planar RGB12 at the source size through the first rendition's
    /// chroma filter and RGB→YUV (the rendition must have the source's size), then back through YUV→RGB.
    /// </summary>
    internal (byte[] Yuv, int[] Rgb) RoundTripRgb(int[] rgb12)
    {
        var t = targets[0];
        if (t.Passthrough || t.Planes is not null || t.Luma is not null || rgb12.Length != 3 * source.LumaBytes) throw new ArgumentException("round trip needs a same-size rendition and a full RGB frame");
        var vk = device.Api;
        ulong rgbBytes = 12UL * (ulong)source.LumaBytes;
        using var staging = GpuBuffer.CreateHostVisible(device, rgbBytes, BufferUsageFlags.TransferSrcBit | BufferUsageFlags.TransferDstBit);
        staging.Write<int>(rgb12);
        device.Submit(cmd =>
        {
            var copy = new BufferCopy(0, 0, rgbBytes);
            vk.CmdCopyBuffer(cmd, staging.Handle, rgb.Handle, 1, in copy);
            Barrier(cmd, AccessFlags.TransferWriteBit, PipelineStageFlags.TransferBit);
            RecordResamples(cmd, [t.Chroma]);
            t.ToYuv.RecordDispatch(cmd, toYuvTemplate with { Width = source.Width, Height = source.Height }, Groups((int)(t.OutputBytes / 4), 256), 1);
            Barrier(cmd, AccessFlags.ShaderWriteBit, PipelineStageFlags.ComputeShaderBit, AccessFlags.TransferReadBit, PipelineStageFlags.TransferBit);
            var back = new BufferCopy(0, 0, t.OutputBytes);
            vk.CmdCopyBuffer(cmd, t.Output.Handle, t.Readback.Handle, 1, in back);
            Barrier(cmd, AccessFlags.TransferWriteBit, PipelineStageFlags.TransferBit, AccessFlags.HostReadBit, PipelineStageFlags.HostBit);
        }, "colour round trip (encode)");
        var yuv = new byte[source.FrameBytes];
        t.Readback.Read<byte>(yuv);
        upload.Write<byte>(yuv);
        device.Submit(cmd =>
        {
            var copy = new BufferCopy(0, 0, Words(source.FrameBytes));
            vk.CmdCopyBuffer(cmd, upload.Handle, sourceBytes.Handle, 1, in copy);
            Barrier(cmd, AccessFlags.TransferWriteBit, PipelineStageFlags.TransferBit);
            toRgb.RecordDispatch(cmd, toRgbParams, Groups(source.ChromaWidth, 16), Groups(source.ChromaHeight, 16)); // one invocation per 2x2 quad
            Barrier(cmd, AccessFlags.ShaderWriteBit, PipelineStageFlags.ComputeShaderBit, AccessFlags.TransferReadBit, PipelineStageFlags.TransferBit);
            var back = new BufferCopy(0, 0, rgbBytes);
            vk.CmdCopyBuffer(cmd, rgb.Handle, staging.Handle, 1, in back);
            Barrier(cmd, AccessFlags.TransferWriteBit, PipelineStageFlags.TransferBit, AccessFlags.HostReadBit, PipelineStageFlags.HostBit);
        }, "colour round trip (decode)");
        var result = new int[rgb12.Length];
        staging.Read<int>(result);
        return (yuv, result);
    }

    /// <summary>Records the horizontal passes of all, a barrier, the vertical passes of all, a barrier.</summary>
    static void RecordResamples(CommandBuffer cmd, IEnumerable<Resample> resamples, Action<CommandBuffer> barrier)
    {
        var list = resamples.ToList();
        if (list.Count == 0) return;
        foreach (var x in list)
            x.Horizontal.RecordDispatch(cmd, new ResampleParams(x.InWidth, x.Width, x.InHeight), Groups(x.Width, 16), Groups(x.InHeight, 16));
        barrier(cmd);
        foreach (var x in list)
            x.Vertical.RecordDispatch(cmd, new ResampleParams(x.Width, x.InHeight, x.Height), Groups(x.Width, 16), Groups(x.Height, 16));
        barrier(cmd);
    }

    void RecordResamples(CommandBuffer cmd, IEnumerable<Resample> resamples) =>
        RecordResamples(cmd, resamples, c => Barrier(c, AccessFlags.ShaderWriteBit, PipelineStageFlags.ComputeShaderBit));

    static uint Groups(int n, int size) => (uint)((n + size - 1) / size);

    void Barrier(CommandBuffer cmd, AccessFlags src, PipelineStageFlags srcStage,
        AccessFlags dst = AccessFlags.ShaderReadBit | AccessFlags.ShaderWriteBit, PipelineStageFlags dstStage = PipelineStageFlags.ComputeShaderBit)
    {
        var barrier = new MemoryBarrier { SType = StructureType.MemoryBarrier, SrcAccessMask = src, DstAccessMask = dst };
        unsafe { device.Api.CmdPipelineBarrier(cmd, srcStage, dstStage, 0, 1, in barrier, 0, null, 0, null); }
    }

    public void Dispose()
    {
        for (int i = owned.Count - 1; i >= 0; i--) owned[i].Dispose();
        owned.Clear();
    }
}

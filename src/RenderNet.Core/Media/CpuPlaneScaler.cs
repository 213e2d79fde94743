using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RenderNet.Core.Media;

/// <summary>
/// The direct-plane resampler on the CPU, for hosts whose Vulkan device is itself the CPU (lavapipe): the same integer
/// Lanczos-3 as the Vulkan plane kernels — vertical pass to x16 values, horizontal pass rounded and clamped to 8 bits,
/// the same weights, the same edge clamping — so it writes the same bytes, while running as plain SIMD code instead of
/// shader code that lavapipe turns into a per-lane loop for every buffer load. Only for sources already in the delivery
/// colour space (BT.709 limited); same-size renditions are passed through.
/// </summary>
public sealed class CpuPlaneScaler : IVideoFrameScaler
{
    const int RowsPerBlock = 8, ColumnsPerBlock = 16;
    readonly Yuv420Layout source;
    readonly Target[] targets;
    /// <summary>The frame being scaled, copied once so the plane workers can share it (reused: frames are megabytes).</summary>
    readonly byte[] input;

    /// <summary>One plane of one rendition: where it is in both frames, its two filters, and its working rows (one thread per plane at a time).</summary>
    sealed record Plane(int SourceOffset, int SourceWidth, int SourceHeight, int TargetOffset, int Width, int Height, Lanczos3 Down, Lanczos3 Across)
    {
        public readonly int[] Between = new int[SourceWidth * Height];
        public readonly int[] Sums = new int[RowsPerBlock * SourceWidth];
        public readonly int[] Columns = new int[ColumnsPerBlock * Height];
    }

    sealed record Target(Yuv420Layout Layout, bool Passthrough, Plane[] Planes);

    public CpuPlaneScaler(Yuv420Layout source, YuvColorSpace sourceColors, IReadOnlyList<Yuv420Layout> targetLayouts)
    {
        if (sourceColors != YuvColorSpace.Delivery)
            throw new ArgumentException($"the CPU plane scaler takes sources in {YuvColorSpace.Delivery}, not {sourceColors}", nameof(sourceColors));
        this.source = source;
        input = new byte[source.FrameBytes];
        targets = targetLayouts.Select(l => l == source ? new Target(l, true, []) : new Target(l, false, PlanesOf(l))).ToArray();
    }

    Plane[] PlanesOf(Yuv420Layout layout)
    {
        var filters = Lanczos3.ForPlanes(source, layout);
        return
        [
            new(0, source.Width, source.Height, 0, layout.Width, layout.Height, filters[0].Down, filters[0].Across),
            new(source.LumaBytes, source.ChromaWidth, source.ChromaHeight, layout.LumaBytes, layout.ChromaWidth, layout.ChromaHeight, filters[1].Down, filters[1].Across),
            new(source.LumaBytes + source.ChromaBytes, source.ChromaWidth, source.ChromaHeight, layout.LumaBytes + layout.ChromaBytes,
                layout.ChromaWidth, layout.ChromaHeight, filters[2].Down, filters[2].Across),
        ];
    }

    public void Scale(ReadOnlySpan<byte> frame, IReadOnlyList<byte[]> outputs, IReadOnlyList<bool> wanted)
    {
        if (frame.Length != source.FrameBytes)
            throw new ArgumentException($"a {source.Width}x{source.Height} yuv420p frame is {source.FrameBytes} bytes, not {frame.Length}", nameof(frame));
        var work = new List<(Plane Plane, byte[] Output)>();
        for (int i = 0; i < targets.Length; i++)
        {
            if (!wanted[i]) continue;
            if (targets[i].Passthrough) frame.CopyTo(outputs[i]);
            else work.AddRange(targets[i].Planes.Select(p => (p, outputs[i])));
        }
        if (work.Count == 0) return;
        // Planes are independent: the largest first, spread over the cores.
        frame.CopyTo(input);
        Parallel.ForEach(work.OrderByDescending(w => w.Plane.Width * w.Plane.Height), w => Resample(input, w.Plane, w.Output));
    }

    static void Resample(byte[] frame, Plane p, byte[] output)
    {
        // Vertical: each output row from Taps source rows, all columns at once (vectorised), kept at x16 like the
        // kernels and stored transposed, so the horizontal pass also works on contiguous runs (columns).
        var between = p.Between;
        var sums = p.Sums;
        var down = p.Down;
        int width = p.SourceWidth;
        for (int block = 0; block < p.Height; block += RowsPerBlock)
        {
            // A block of rows first, then each column's part of it written in one run: the transposed writes stay
            // within one cache line per column instead of touching every column's line once per row.
            int rows = Math.Min(RowsPerBlock, p.Height - block);
            Array.Clear(sums);
            for (int r = 0; r < rows; r++)
            {
                int y = block + r;
                var into = sums.AsSpan(r * width, width);
                for (int k = 0; k < down.Taps; k++)
                {
                    int w = down.Weights[y * down.Taps + k];
                    if (w == 0) continue;
                    int row = Math.Clamp(down.Start[y] + k, 0, p.SourceHeight - 1);
                    AddScaled(into, frame.AsSpan(p.SourceOffset + row * width, width), w);
                }
            }
            int x = 0;
            if (rows == RowsPerBlock && Avx2.IsSupported)
                for (; x + 8 <= width; x += 8) Transpose8x8(sums, width, x, between, p.Height, block);
            for (; x < width; x++)
            {
                var run = between.AsSpan(x * p.Height + block, rows);
                for (int r = 0; r < run.Length; r++) run[r] = (sums[r * width + x] + 512) >> 10;
            }
        }

        // Horizontal: each output column from Taps columns of the transposed values, every row at once (vectorised),
        // edges clamped as the kernels clamp, rounded and clamped to 8 bits.
        var across = p.Across;
        var columns = p.Columns;
        int height = p.Height;
        var target = output.AsSpan(p.TargetOffset, p.Width * height);
        for (int block = 0; block < p.Width; block += ColumnsPerBlock)
        {
            // A block of output columns, then written row by row: each row's bytes for the block land together.
            int count = Math.Min(ColumnsPerBlock, p.Width - block);
            Array.Clear(columns);
            for (int c = 0; c < count; c++)
            {
                int x = block + c;
                var into = columns.AsSpan(c * height, height);
                for (int k = 0; k < across.Taps; k++)
                {
                    int w = across.Weights[x * across.Taps + k];
                    if (w == 0) continue;
                    int from = Math.Clamp(across.Start[x] + k, 0, p.SourceWidth - 1);
                    AddScaled(into, between.AsSpan(from * height, height), w);
                }
            }
            for (int y = 0; y < height; y++)
            {
                var run = target.Slice(y * p.Width + block, count);
                for (int c = 0; c < run.Length; c++) run[c] = (byte)Math.Clamp((columns[c * height + y] + (1 << 17)) >> 18, 0, 255);
            }
        }
    }

    /// <summary>
    /// Rounds the 8×8 block of <paramref name="sums"/> (8 rows of <paramref name="width"/>, columns x..x+7) to x16 and
    /// writes it transposed: column x+c's 8 rows land at <paramref name="between"/>[(x+c)·height + block].
    /// </summary>
    static void Transpose8x8(int[] sums, int width, int x, int[] between, int height, int block)
    {
        var half = Vector256.Create(512);
        Vector256<int> Row(int r) => Avx2.ShiftRightArithmetic(Vector256.Create(sums.AsSpan(r * width + x, 8)) + half, 10);
        var r0 = Row(0); var r1 = Row(1); var r2 = Row(2); var r3 = Row(3); var r4 = Row(4); var r5 = Row(5); var r6 = Row(6); var r7 = Row(7);
        var t0 = Avx2.UnpackLow(r0, r1); var t1 = Avx2.UnpackHigh(r0, r1); var t2 = Avx2.UnpackLow(r2, r3); var t3 = Avx2.UnpackHigh(r2, r3);
        var t4 = Avx2.UnpackLow(r4, r5); var t5 = Avx2.UnpackHigh(r4, r5); var t6 = Avx2.UnpackLow(r6, r7); var t7 = Avx2.UnpackHigh(r6, r7);
        var u0 = Avx2.UnpackLow(t0.AsInt64(), t2.AsInt64()).AsInt32(); var u1 = Avx2.UnpackHigh(t0.AsInt64(), t2.AsInt64()).AsInt32();
        var u2 = Avx2.UnpackLow(t1.AsInt64(), t3.AsInt64()).AsInt32(); var u3 = Avx2.UnpackHigh(t1.AsInt64(), t3.AsInt64()).AsInt32();
        var u4 = Avx2.UnpackLow(t4.AsInt64(), t6.AsInt64()).AsInt32(); var u5 = Avx2.UnpackHigh(t4.AsInt64(), t6.AsInt64()).AsInt32();
        var u6 = Avx2.UnpackLow(t5.AsInt64(), t7.AsInt64()).AsInt32(); var u7 = Avx2.UnpackHigh(t5.AsInt64(), t7.AsInt64()).AsInt32();
        void Store(int c, Vector256<int> column) => column.CopyTo(between.AsSpan((x + c) * height + block, 8));
        Store(0, Avx2.Permute2x128(u0, u4, 0x20)); Store(1, Avx2.Permute2x128(u1, u5, 0x20));
        Store(2, Avx2.Permute2x128(u2, u6, 0x20)); Store(3, Avx2.Permute2x128(u3, u7, 0x20));
        Store(4, Avx2.Permute2x128(u0, u4, 0x31)); Store(5, Avx2.Permute2x128(u1, u5, 0x31));
        Store(6, Avx2.Permute2x128(u2, u6, 0x31)); Store(7, Avx2.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>acc[i] += weight × bytes[i]: 16 bytes at a time, each half zero-extended to 8 ints, where AVX2 is there.</summary>
    static void AddScaled(Span<int> acc, ReadOnlySpan<byte> bytes, int weight)
    {
        int i = 0;
        if (Avx2.IsSupported && bytes.Length >= 16)
        {
            ref byte from = ref MemoryMarshal.GetReference(bytes);
            ref int to = ref MemoryMarshal.GetReference(acc.Slice(0, bytes.Length));
            var w = Vector256.Create(weight);
            for (; i + 16 <= bytes.Length; i += 16)
            {
                var v = Vector128.LoadUnsafe(ref from, (nuint)i);
                var low = Avx2.ConvertToVector256Int32(v);
                var high = Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(v, 8));
                (Vector256.LoadUnsafe(ref to, (nuint)i) + w * low).StoreUnsafe(ref to, (nuint)i);
                (Vector256.LoadUnsafe(ref to, (nuint)i + 8) + w * high).StoreUnsafe(ref to, (nuint)i + 8);
            }
        }
        for (; i < bytes.Length; i++) acc[i] += weight * bytes[i];
    }

    /// <summary>acc[i] += weight × values[i], 8 at a time where AVX2 is there.</summary>
    static void AddScaled(Span<int> acc, ReadOnlySpan<int> values, int weight)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref int from = ref MemoryMarshal.GetReference(values);
            ref int to = ref MemoryMarshal.GetReference(acc.Slice(0, values.Length));
            var w = Vector256.Create(weight);
            for (; i + 8 <= values.Length; i += 8)
                (Vector256.LoadUnsafe(ref to, (nuint)i) + w * Vector256.LoadUnsafe(ref from, (nuint)i)).StoreUnsafe(ref to, (nuint)i);
        }
        for (; i < values.Length; i++) acc[i] += weight * values[i];
    }

    public void Dispose() { }
}

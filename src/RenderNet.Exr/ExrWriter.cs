using System.Runtime.InteropServices;
using System.Text;

namespace RenderNet.Exr;

/// <summary>
/// Writes one single-part OpenEXR image with any number of channels through OpenEXRCore: the file is written to
/// <c>PATH.partial</c> and renamed when complete, so a crash never leaves a file that looks finished.
/// </summary>
public static unsafe class ExrWriter
{
    public static void Write(string path, int width, int height, IReadOnlyList<ExrChannel> channels, ExrWriteOptions? options = null,
        IReadOnlyList<ExrAttribute>? attributes = null)
    {
        options ??= new ExrWriteOptions();
        options.Validate();
        if (width <= 0 || height <= 0) throw new ArgumentException($"EXR image size {width}x{height} is invalid");
        if (channels.Count == 0) throw new ArgumentException("an EXR image needs at least one channel");
        long pixels = (long)width * height;
        foreach (var c in channels)
        {
            if (c.Values.Length != pixels) throw new ArgumentException($"channel '{c.Name}' has {c.Values.Length} values, expected {pixels} ({width}x{height})");
            if (string.IsNullOrEmpty(c.Name) || Encoding.UTF8.GetByteCount(c.Name) > 255) throw new ArgumentException($"channel name '{c.Name}' must be 1 to 255 bytes");
        }
        var duplicate = channels.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"channel '{duplicate.Key}' is given twice");
        ExrNative.EnsureLoaded();
        if (options.Compression is ExrCompression.Dwaa or ExrCompression.Dwab)
        {
            WriteRgbaDwa(path, width, height, channels, options, attributes ?? []);
            return;
        }

        string partial = path + ".partial";
        var handles = channels.Select(c => GCHandle.Alloc(c.Values, GCHandleType.Pinned)).ToArray();
        var byName = new Dictionary<string, IntPtr>(StringComparer.Ordinal);
        for (int i = 0; i < channels.Count; i++) byName[channels[i].Name] = handles[i].AddrOfPinnedObject();
        void* pipeline = NativeMemory.AllocZeroed(ExrNative.PipelineBytes);
        IntPtr context = IntPtr.Zero;
        bool initialised = false;
        try
        {
            var init = ExrNative.Initializer(Math.Max(width, height));
            ExrNative.Check(ExrNative.exr_start_write(out context, partial, 0, in init), "opening for writing", path);
            bool tiled = options.TileSize > 0;
            ExrNative.Check(ExrNative.exr_add_part(context, "rgba", tiled ? 1 : 0, out int part), "adding the image part", path);
            ExrNative.Check(ExrNative.exr_initialize_required_attr_simple(context, part, width, height, (int)options.Compression), "setting the image size", path);
            if (tiled)
                ExrNative.Check(ExrNative.exr_set_tile_descriptor(context, part, (uint)options.TileSize, (uint)options.TileSize, 0, 0), "setting the tile size", path);
            if (options.Compression is ExrCompression.Dwaa or ExrCompression.Dwab)
                ExrNative.Check(ExrNative.exr_set_dwa_compression_level(context, part, options.DwaLevel), "setting the DWA level", path);
            foreach (var c in channels)
                ExrNative.Check(ExrNative.exr_add_channel(context, part, c.Name, (int)c.Type, 0, 1, 1), $"adding channel '{c.Name}'", path);
            foreach (var a in attributes ?? [])
                SetAttribute(context, part, a, path);
            ExrNative.Check(ExrNative.exr_write_header(context), "writing the header", path);

            foreach (var (x, y, tileX, tileY) in Chunks(context, part, width, height, options.TileSize, path))
            {
                ExrNative.ChunkInfo chunk;
                if (tiled) ExrNative.Check(ExrNative.exr_write_tile_chunk_info(context, part, tileX, tileY, 0, 0, out chunk), "preparing a tile", path);
                else ExrNative.Check(ExrNative.exr_write_scanline_chunk_info(context, part, y, out chunk), "preparing scanlines", path);
                if (!initialised)
                    ExrNative.Check(ExrNative.exr_encoding_initialize(context, part, in chunk, pipeline), "starting the encoder", path);
                else
                    ExrNative.Check(ExrNative.exr_encoding_update(context, part, in chunk, pipeline), "advancing the encoder", path);
                // The chunk's start_x/start_y are tile indices for tiled parts (OpenEXRCore 3.1): use our own pixel origin.
                ExrNative.PointChannels(pipeline, byName, width, x, y);
                if (!initialised)
                {
                    ExrNative.Check(ExrNative.exr_encoding_choose_default_routines(context, part, pipeline), "choosing the encoder", path);
                    initialised = true;
                }
                ExrNative.Check(ExrNative.exr_encoding_run(context, part, pipeline), $"encoding the chunk at ({x},{y})", path);
            }
            ExrNative.Check(ExrNative.exr_encoding_destroy(context, pipeline), "closing the encoder", path);
            initialised = false;
            ExrNative.Check(ExrNative.exr_finish(ref context), "finishing the file", path);
            context = IntPtr.Zero;
            File.Move(partial, path, overwrite: true);
        }
        finally
        {
            if (initialised) ExrNative.exr_encoding_destroy(context, pipeline);
            if (context != IntPtr.Zero) ExrNative.exr_finish(ref context);
            NativeMemory.Free(pipeline);
            foreach (var h in handles) h.Free();
            if (File.Exists(partial)) File.Delete(partial);
        }
    }

    /// <summary>The chunks in file order: (x, y) of each scanline block or tile, and the tile's indices.</summary>
    static IEnumerable<(int X, int Y, int TileX, int TileY)> Chunks(IntPtr context, int part, int width, int height, int tileSize, string path)
    {
        if (tileSize > 0)
        {
            for (int ty = 0; ty * tileSize < height; ty++)
                for (int tx = 0; tx * tileSize < width; tx++)
                    yield return (tx * tileSize, ty * tileSize, tx, ty);
            yield break;
        }
        ExrNative.Check(ExrNative.exr_get_scanlines_per_chunk(context, part, out int lines), "asking the scanlines per chunk", path);
        for (int y = 0; y < height; y += lines) yield return (0, y, 0, 0);
    }

    static readonly string[] RgbaNames = ["R", "G", "B", "A"];

    /// <summary>
    /// DWAA/DWAB through OpenEXR's RGBA interface (OpenEXRCore 3.1 cannot encode DWA): half R, G, B (and A) only, so a
    /// frame with render passes cannot be written this way — refused with a message that says what to use instead.
    /// </summary>
    static void WriteRgbaDwa(string path, int width, int height, IReadOnlyList<ExrChannel> channels, ExrWriteOptions options, IReadOnlyList<ExrAttribute> attributes)
    {
        var extra = channels.FirstOrDefault(c => !RgbaNames.Contains(c.Name, StringComparer.Ordinal));
        if (extra is not null)
            throw new ArgumentException($"{options.Compression.ToString().ToUpperInvariant()} compression holds R, G, B and A only (OpenEXR 3.1's C library cannot write DWA layers), but the image has '{extra.Name}': use zip or piz for files with render passes");
        var values = RgbaNames.Select(n => channels.FirstOrDefault(c => c.Name == n)?.Values).ToArray();
        bool hasAlpha = values[3] is not null;
        var pixels = new ushort[checked(width * height * 4)];
        for (int i = 0, p = 0; i < width * height; i++, p += 4)
            for (int c = 0; c < 4; c++)
                pixels[p + c] = BitConverter.HalfToUInt16Bits((Half)(values[c]?[i] ?? (c == 3 ? 1f : 0f)));

        string partial = path + ".partial";
        IntPtr header = ExrRgbaNative.ImfNewHeader();
        IntPtr file = IntPtr.Zero;
        try
        {
            ExrRgbaNative.Check(header != IntPtr.Zero, "creating a header", path);
            ExrRgbaNative.ImfHeaderSetDataWindow(header, 0, 0, width - 1, height - 1);
            ExrRgbaNative.ImfHeaderSetDisplayWindow(header, 0, 0, width - 1, height - 1);
            ExrRgbaNative.ImfHeaderSetCompression(header, (int)options.Compression);
            // The C++ library reads its DWA quality from this header attribute.
            ExrRgbaNative.Check(ExrRgbaNative.ImfHeaderSetFloatAttribute(header, "dwaCompressionLevel", options.DwaLevel) != 0, "setting the DWA level", path);
            foreach (var a in attributes)
            {
                bool ok = a switch
                {
                    ExrAttribute.Text t => ExrRgbaNative.ImfHeaderSetStringAttribute(header, t.Name, t.Value) != 0,
                    ExrAttribute.Int n => ExrRgbaNative.ImfHeaderSetIntAttribute(header, n.Name, n.Value) != 0,
                    ExrAttribute.Float f => ExrRgbaNative.ImfHeaderSetFloatAttribute(header, f.Name, f.Value) != 0,
                    ExrAttribute.Matrix m when m.Values.Length == 16 => SetRgbaMatrix(header, m),
                    _ => throw new ArgumentException($"attribute '{a.Name}' has an unsupported type or size"),
                };
                ExrRgbaNative.Check(ok, $"setting attribute '{a.Name}'", path);
            }
            file = ExrRgbaNative.ImfOpenOutputFile(partial, header, hasAlpha ? ExrRgbaNative.WriteRgba : ExrRgbaNative.WriteRgb);
            ExrRgbaNative.Check(file != IntPtr.Zero, "opening for writing", path);
            fixed (ushort* p = pixels)
            {
                ExrRgbaNative.Check(ExrRgbaNative.ImfOutputSetFrameBuffer(file, p, 1, (nuint)width) != 0, "setting the frame buffer", path);
                ExrRgbaNative.Check(ExrRgbaNative.ImfOutputWritePixels(file, height) != 0, "writing the pixels", path);
            }
            var closing = file;
            file = IntPtr.Zero;
            ExrRgbaNative.Check(ExrRgbaNative.ImfCloseOutputFile(closing) != 0, "finishing the file", path);
            File.Move(partial, path, overwrite: true);
        }
        finally
        {
            if (file != IntPtr.Zero) ExrRgbaNative.ImfCloseOutputFile(file);
            if (header != IntPtr.Zero) ExrRgbaNative.ImfDeleteHeader(header);
            if (File.Exists(partial)) File.Delete(partial);
        }
    }

    static bool SetRgbaMatrix(IntPtr header, ExrAttribute.Matrix m)
    {
        fixed (float* values = m.Values) return ExrRgbaNative.ImfHeaderSetM44fAttribute(header, m.Name, values) != 0;
    }

    static void SetAttribute(IntPtr context, int part, ExrAttribute attribute, string path)
    {
        int code = attribute switch
        {
            ExrAttribute.Text t => ExrNative.exr_attr_set_string(context, part, t.Name, t.Value),
            ExrAttribute.Int i => ExrNative.exr_attr_set_int(context, part, i.Name, i.Value),
            ExrAttribute.Float f => ExrNative.exr_attr_set_float(context, part, f.Name, f.Value),
            ExrAttribute.Matrix m when m.Values.Length == 16 => SetMatrix(context, part, m),
            ExrAttribute.Matrix m => throw new ArgumentException($"attribute '{m.Name}' needs 16 values, got {m.Values.Length}"),
            _ => throw new ArgumentException($"attribute '{attribute.Name}' has an unsupported type"),
        };
        ExrNative.Check(code, $"setting attribute '{attribute.Name}'", path);
    }

    static int SetMatrix(IntPtr context, int part, ExrAttribute.Matrix m)
    {
        fixed (float* values = m.Values) return ExrNative.exr_attr_set_m44f(context, part, m.Name, values);
    }
}

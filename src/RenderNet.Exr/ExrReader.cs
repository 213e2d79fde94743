using System.Runtime.InteropServices;

namespace RenderNet.Exr;

/// <summary>
/// Reads a single-part scanline or tiled OpenEXR image (any compression OpenEXRCore decodes) into float planes,
/// with its string, int, float and m44f attributes. Images larger than <see cref="MaxDimension"/> per side are refused
/// before anything is allocated.
/// </summary>
public static unsafe class ExrReader
{
    public const int MaxDimension = 16384;

    public static ExrImage Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such EXR file", path);
        ExrNative.EnsureLoaded();
        void* pipeline = NativeMemory.AllocZeroed(ExrNative.PipelineBytes);
        IntPtr context = IntPtr.Zero;
        bool initialised = false;
        var handles = new List<GCHandle>();
        try
        {
            var init = ExrNative.Initializer(MaxDimension);
            ExrNative.Check(ExrNative.exr_start_read(out context, path, in init), "opening", path);
            ExrNative.Check(ExrNative.exr_get_count(context, out int parts), "counting parts", path);
            if (parts != 1) throw new ExrException($"{path}: has {parts} parts; only single-part images are read", -1);
            ExrNative.Check(ExrNative.exr_get_storage(context, 0, out int storage), "reading the storage type", path);
            if (storage is not (0 or 1)) throw new ExrException($"{path}: deep images are not read", -1);
            bool tiled = storage == 1;
            ExrNative.Check(ExrNative.exr_get_compression(context, 0, out int compression), "reading the compression", path);
            ExrNative.Check(ExrNative.exr_get_data_window(context, 0, out var window), "reading the data window", path);
            long w = (long)window.MaxX - window.MinX + 1, h = (long)window.MaxY - window.MinY + 1;
            if (w <= 0 || h <= 0 || w > MaxDimension || h > MaxDimension)
                throw new ExrException($"{path}: data window {w}x{h} is outside 1..{MaxDimension} per side", -1);
            int width = (int)w, height = (int)h;

            ExrNative.Check(ExrNative.exr_get_channels(context, 0, out var list), "reading the channel list", path);
            var channels = new Dictionary<string, float[]>(StringComparer.Ordinal);
            var types = new Dictionary<string, ExrPixelType>(StringComparer.Ordinal);
            for (int i = 0; i < list->Count; i++)
            {
                var e = list->Entries[i];
                string name = Marshal.PtrToStringUTF8((IntPtr)e.Name, e.NameLength);
                if (e.XSampling != 1 || e.YSampling != 1) throw new ExrException($"{path}: channel '{name}' is subsampled; not supported", -1);
                var values = new float[width * height];
                channels[name] = values;
                types[name] = e.PixelType == 1 ? ExrPixelType.Half : ExrPixelType.Float;
                handles.Add(GCHandle.Alloc(values, GCHandleType.Pinned));
            }
            var planes = channels.ToDictionary(c => c.Key, c => Marshal.UnsafeAddrOfPinnedArrayElement(c.Value, 0), StringComparer.Ordinal);

            foreach (var (x, y, tx, ty) in Chunks(context, width, height, tiled, path))
            {
                ExrNative.ChunkInfo chunk;
                if (tiled) ExrNative.Check(ExrNative.exr_read_tile_chunk_info(context, 0, tx, ty, 0, 0, out chunk), "locating a tile", path);
                else ExrNative.Check(ExrNative.exr_read_scanline_chunk_info(context, 0, window.MinY + y, out chunk), "locating scanlines", path);
                if (!initialised)
                    ExrNative.Check(ExrNative.exr_decoding_initialize(context, 0, in chunk, pipeline), "starting the decoder", path);
                else
                    ExrNative.Check(ExrNative.exr_decoding_update(context, 0, in chunk, pipeline), "advancing the decoder", path);
                // start_x/start_y are tile indices for tiled parts (OpenEXRCore 3.1): use our own pixel origin.
                ExrNative.PointChannels(pipeline, planes, width, x, y);
                if (!initialised)
                {
                    ExrNative.Check(ExrNative.exr_decoding_choose_default_routines(context, 0, pipeline), "choosing the decoder", path);
                    initialised = true;
                }
                ExrNative.Check(ExrNative.exr_decoding_run(context, 0, pipeline), $"decoding the chunk at ({x},{y})", path);
            }
            var attributes = ReadAttributes(context, path);
            return new ExrImage(width, height, tiled, (ExrCompression)compression, channels, types, attributes);
        }
        finally
        {
            if (initialised) ExrNative.exr_decoding_destroy(context, pipeline);
            if (context != IntPtr.Zero) ExrNative.exr_finish(ref context);
            NativeMemory.Free(pipeline);
            foreach (var h in handles) h.Free();
        }
    }

    static IEnumerable<(int X, int Y, int TileX, int TileY)> Chunks(IntPtr context, int width, int height, bool tiled, string path)
    {
        if (tiled)
        {
            ExrNative.Check(ExrNative.exr_get_tile_descriptor(context, 0, out uint xs, out uint ys, out int levels, out _), "reading the tile size", path);
            if (levels != 0) throw new ExrException($"{path}: mipmapped or ripmapped tiles are not read", -1);
            if (xs == 0 || ys == 0) throw new ExrException($"{path}: tile size {xs}x{ys} is invalid", -1);
            for (int ty = 0; (long)ty * ys < height; ty++)
                for (int tx = 0; (long)tx * xs < width; tx++)
                    yield return ((int)(tx * xs), (int)(ty * ys), tx, ty);
            yield break;
        }
        ExrNative.Check(ExrNative.exr_get_scanlines_per_chunk(context, 0, out int lines), "asking the scanlines per chunk", path);
        if (lines <= 0) throw new ExrException($"{path}: {lines} scanlines per chunk", -1);
        for (int y = 0; y < height; y += lines) yield return (0, y, 0, 0);
    }

    static Dictionary<string, object> ReadAttributes(IntPtr context, string path)
    {
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        ExrNative.Check(ExrNative.exr_get_attribute_count(context, 0, out int count), "counting attributes", path);
        for (int i = 0; i < count; i++)
        {
            ExrNative.Check(ExrNative.exr_get_attribute_by_index(context, 0, 0, i, out var a), "reading an attribute", path);
            string name = Marshal.PtrToStringUTF8((IntPtr)a->Name)!;
            object? value = a->Type switch
            {
                ExrNative.AttrTypeInt => (int)a->Value,
                ExrNative.AttrTypeFloat => BitConverter.Int32BitsToSingle((int)a->Value),
                ExrNative.AttrTypeString => ReadString((ExrNative.AttributeString*)a->Value),
                ExrNative.AttrTypeM44f => new ReadOnlySpan<float>((float*)a->Value, 16).ToArray(),
                _ => null,
            };
            if (value is not null) result[name] = value;
        }
        return result;
    }

    static string ReadString(ExrNative.AttributeString* s) => Marshal.PtrToStringUTF8((IntPtr)s->Text, s->Length);
}

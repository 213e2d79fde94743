using System.Reflection;
using System.Runtime.InteropServices;

namespace RenderNet.Exr;

/// <summary>
/// The slice of OpenEXRCore's C API (openexr.h, OpenEXR 3.1) that RenderNet uses. Structs the library fills and reads
/// (the coding pipelines) are kept as opaque zeroed blocks larger than the library's own, with the few fields we touch
/// read at their documented offsets (x86-64 and arm64 LP64 layouts).
/// </summary>
static unsafe partial class ExrNative
{
    const string Library = "OpenEXRCore";

    static ExrNative() => ExrLibraries.EnsureResolver();

    /// <summary>Debian ships the library only under its versioned name (libOpenEXRCore-3_1.so.30): try that first.</summary>
    internal static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Library) return ExrRgbaNative.ResolveRgba(name, assembly, path);
        foreach (var candidate in (ReadOnlySpan<string>)["libOpenEXRCore-3_1.so.30", "libOpenEXRCore-3_1.so", "libOpenEXRCore.so", "OpenEXRCore-3_1", "OpenEXRCore"])
            if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle)) return handle;
        return IntPtr.Zero;
    }

    /// <summary>Throws <see cref="ExrUnavailableException"/> when the library cannot be loaded.</summary>
    public static void EnsureLoaded()
    {
        try { exr_get_default_error_message(0); }
        catch (DllNotFoundException ex) { throw new ExrUnavailableException(ex); }
        catch (EntryPointNotFoundException ex) { throw new ExrUnavailableException(ex); }
    }

    public const int Success = 0;

    // Sizes of the opaque blocks: the library's exr_encode_pipeline_t / exr_decode_pipeline_t are about 500-600
    // bytes on LP64; the context initializer is 104.
    public const int PipelineBytes = 4096;
    public const int ChannelInfoBytes = 48;   // exr_coding_channel_info_t
    public const int ChannelNameOffset = 0, ChannelHeightOffset = 8, ChannelWidthOffset = 12,
        ChannelUserBytesOffset = 28, ChannelUserTypeOffset = 30, ChannelUserPixelStrideOffset = 32,
        ChannelUserLineStrideOffset = 36, ChannelPointerOffset = 40;
    public const int PipelineChannelsOffset = 0, PipelineChannelCountOffset = 8;

    [StructLayout(LayoutKind.Sequential)]
    public struct ContextInitializer
    {
        public nuint Size;
        public delegate* unmanaged[Cdecl]<IntPtr, int, byte*, void> ErrorHandler;
        public IntPtr Alloc, Free, UserData, Read, QuerySize, Write, Destroy;
        public int MaxImageWidth, MaxImageHeight, MaxTileWidth, MaxTileHeight;
        public int ZipLevel;
        public float DwaQuality;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct ChunkInfo
    {
        public int Index, StartX, StartY, Height, Width;
        public byte LevelX, LevelY, Type, Compression;
        public ulong DataOffset, PackedSize, UnpackedSize, SampleCountDataOffset, SampleCountTableSize;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Box2i { public int MinX, MinY, MaxX, MaxY; }

    [StructLayout(LayoutKind.Sequential)]
    public struct ChannelList { public int Count, Allocated; public ChannelEntry* Entries; }

    [StructLayout(LayoutKind.Sequential)]
    public struct ChannelEntry
    {
        public int NameLength, NameAllocated;
        public byte* Name;
        public int PixelType;
        public byte PerceptuallyLinear, Reserved0, Reserved1, Reserved2;
        public int XSampling, YSampling;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct AttributeString { public int Length, Allocated; public byte* Text; }

    /// <summary>exr_attribute_t: name, type name, their lengths, the type tag, then a union of value pointers/values.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Attribute
    {
        public byte* Name;
        public byte* TypeName;
        public byte NameLength, TypeNameLength, Padding0, Padding1;
        public int Type;
        public IntPtr Value;   // union: int/float/double stored inline, others as pointers
    }

    public const int AttrTypeFloat = 8, AttrTypeInt = 10, AttrTypeM44f = 15, AttrTypeString = 19;   // exr_attribute_type_t

    [LibraryImport(Library)] public static partial IntPtr exr_get_default_error_message(int code);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int exr_start_write(out IntPtr context, string filename, int mode, in ContextInitializer init);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int exr_start_read(out IntPtr context, string filename, in ContextInitializer init);
    [LibraryImport(Library)] public static partial int exr_finish(ref IntPtr context);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int exr_add_part(IntPtr context, string name, int storage, out int part);
    [LibraryImport(Library)] public static partial int exr_initialize_required_attr_simple(IntPtr context, int part, int width, int height, int compression);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int exr_add_channel(IntPtr context, int part, string name, int pixelType, int perceptual, int xSampling, int ySampling);
    [LibraryImport(Library)] public static partial int exr_set_tile_descriptor(IntPtr context, int part, uint xSize, uint ySize, int levelMode, int roundMode);
    [LibraryImport(Library)] public static partial int exr_set_zip_compression_level(IntPtr context, int part, int level);
    [LibraryImport(Library)] public static partial int exr_set_dwa_compression_level(IntPtr context, int part, float level);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int exr_attr_set_string(IntPtr context, int part, string name, string value);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int exr_attr_set_int(IntPtr context, int part, string name, int value);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int exr_attr_set_float(IntPtr context, int part, string name, float value);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int exr_attr_set_m44f(IntPtr context, int part, string name, float* matrix);
    [LibraryImport(Library)] public static partial int exr_write_header(IntPtr context);
    [LibraryImport(Library)] public static partial int exr_get_scanlines_per_chunk(IntPtr context, int part, out int lines);
    [LibraryImport(Library)] public static partial int exr_write_scanline_chunk_info(IntPtr context, int part, int y, out ChunkInfo chunk);
    [LibraryImport(Library)] public static partial int exr_write_tile_chunk_info(IntPtr context, int part, int tileX, int tileY, int levelX, int levelY, out ChunkInfo chunk);
    [LibraryImport(Library)] public static partial int exr_read_scanline_chunk_info(IntPtr context, int part, int y, out ChunkInfo chunk);
    [LibraryImport(Library)] public static partial int exr_read_tile_chunk_info(IntPtr context, int part, int tileX, int tileY, int levelX, int levelY, out ChunkInfo chunk);
    [LibraryImport(Library)] public static partial int exr_encoding_initialize(IntPtr context, int part, in ChunkInfo chunk, void* pipeline);
    [LibraryImport(Library)] public static partial int exr_encoding_update(IntPtr context, int part, in ChunkInfo chunk, void* pipeline);
    [LibraryImport(Library)] public static partial int exr_encoding_choose_default_routines(IntPtr context, int part, void* pipeline);
    [LibraryImport(Library)] public static partial int exr_encoding_run(IntPtr context, int part, void* pipeline);
    [LibraryImport(Library)] public static partial int exr_encoding_destroy(IntPtr context, void* pipeline);
    [LibraryImport(Library)] public static partial int exr_decoding_initialize(IntPtr context, int part, in ChunkInfo chunk, void* pipeline);
    [LibraryImport(Library)] public static partial int exr_decoding_update(IntPtr context, int part, in ChunkInfo chunk, void* pipeline);
    [LibraryImport(Library)] public static partial int exr_decoding_choose_default_routines(IntPtr context, int part, void* pipeline);
    [LibraryImport(Library)] public static partial int exr_decoding_run(IntPtr context, int part, void* pipeline);
    [LibraryImport(Library)] public static partial int exr_decoding_destroy(IntPtr context, void* pipeline);
    [LibraryImport(Library)] public static partial int exr_get_count(IntPtr context, out int parts);
    [LibraryImport(Library)] public static partial int exr_get_storage(IntPtr context, int part, out int storage);
    [LibraryImport(Library)] public static partial int exr_get_compression(IntPtr context, int part, out int compression);
    [LibraryImport(Library)] public static partial int exr_get_data_window(IntPtr context, int part, out Box2i window);
    [LibraryImport(Library)] public static partial int exr_get_channels(IntPtr context, int part, out ChannelList* channels);
    [LibraryImport(Library)] public static partial int exr_get_tile_descriptor(IntPtr context, int part, out uint xSize, out uint ySize, out int levelMode, out int roundMode);
    [LibraryImport(Library)] public static partial int exr_get_attribute_count(IntPtr context, int part, out int count);
    [LibraryImport(Library)] public static partial int exr_get_attribute_by_index(IntPtr context, int part, int mode, int index, out Attribute* attribute);

    /// <summary>The message of the error callback for the current call on this thread (the library's own text), else its default message for the code.</summary>
    [ThreadStatic] static string? lastError;

    [UnmanagedCallersOnly(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    static void OnError(IntPtr context, int code, byte* message) => lastError = Marshal.PtrToStringUTF8((IntPtr)message);

    public static ContextInitializer Initializer(int maxDimension) => new()
    {
        Size = (nuint)sizeof(ContextInitializer),
        ErrorHandler = &OnError,
        MaxImageWidth = maxDimension,
        MaxImageHeight = maxDimension,
        MaxTileWidth = maxDimension,
        MaxTileHeight = maxDimension,
        ZipLevel = -2,
        DwaQuality = -1,
    };

    /// <summary>Throws <see cref="ExrException"/> naming <paramref name="what"/> when <paramref name="code"/> is an error.</summary>
    public static void Check(int code, string what, string path)
    {
        if (code == Success) { lastError = null; return; }
        string detail = lastError ?? Marshal.PtrToStringUTF8(exr_get_default_error_message(code)) ?? $"error {code}";
        lastError = null;
        throw new ExrException($"{path}: {what} failed: {detail}", code);
    }

    /// <summary>
    /// Points each channel of a coding pipeline (sorted by name, as files store them) at our float plane's pixel
    /// (<paramref name="x"/>, <paramref name="y"/>): the library converts between floats and the file's type.
    /// </summary>
    public static void PointChannels(void* pipeline, Dictionary<string, IntPtr> planes, int width, int x, int y)
    {
        byte* p = (byte*)pipeline;
        byte* channels = *(byte**)(p + PipelineChannelsOffset);
        int count = *(short*)(p + PipelineChannelCountOffset);
        for (int i = 0; i < count; i++)
        {
            byte* c = channels + i * ChannelInfoBytes;
            string name = Marshal.PtrToStringUTF8(*(IntPtr*)(c + ChannelNameOffset))!;
            *(short*)(c + ChannelUserBytesOffset) = 4;
            *(ushort*)(c + ChannelUserTypeOffset) = 2;   // EXR_PIXEL_FLOAT
            *(int*)(c + ChannelUserPixelStrideOffset) = 4;
            *(int*)(c + ChannelUserLineStrideOffset) = width * 4;
            *(IntPtr*)(c + ChannelPointerOffset) = planes[name] + (nint)(((long)y * width + x) * 4);
        }
    }
}

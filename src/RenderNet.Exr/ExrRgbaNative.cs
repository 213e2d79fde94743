using System.Reflection;
using System.Runtime.InteropServices;

namespace RenderNet.Exr;

/// <summary>
/// OpenEXR's older C interface to its C++ library (ImfCRgbaFile.h in libOpenEXR-3_1.so.30, the same Debian package):
/// RGBA half images only, but with every compression the C++ library has. OpenEXRCore 3.1 cannot encode DWAA/DWAB,
/// so those files are written through this interface.
/// </summary>
static unsafe partial class ExrRgbaNative
{
    const string Library = "OpenEXR";

    static ExrRgbaNative() => ExrLibraries.EnsureResolver();

    internal static IntPtr ResolveRgba(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Library) return IntPtr.Zero;
        foreach (var candidate in (ReadOnlySpan<string>)["libOpenEXR-3_1.so.30", "libOpenEXR-3_1.so", "libOpenEXR.so", "OpenEXR-3_1"])
            if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle)) return handle;
        return IntPtr.Zero;
    }

    public const int WriteRgb = 0x7, WriteRgba = 0xf;

    [LibraryImport(Library)] public static partial IntPtr ImfNewHeader();
    [LibraryImport(Library)] public static partial void ImfDeleteHeader(IntPtr header);
    [LibraryImport(Library)] public static partial void ImfHeaderSetDataWindow(IntPtr header, int xMin, int yMin, int xMax, int yMax);
    [LibraryImport(Library)] public static partial void ImfHeaderSetDisplayWindow(IntPtr header, int xMin, int yMin, int xMax, int yMax);
    [LibraryImport(Library)] public static partial void ImfHeaderSetCompression(IntPtr header, int compression);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ImfHeaderSetStringAttribute(IntPtr header, string name, string value);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ImfHeaderSetIntAttribute(IntPtr header, string name, int value);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ImfHeaderSetFloatAttribute(IntPtr header, string name, float value);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ImfHeaderSetM44fAttribute(IntPtr header, string name, float* matrix);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr ImfOpenOutputFile(string name, IntPtr header, int channels);
    [LibraryImport(Library)] public static partial int ImfCloseOutputFile(IntPtr file);
    [LibraryImport(Library)] public static partial int ImfOutputSetFrameBuffer(IntPtr file, void* pixels, nuint xStride, nuint yStride);
    [LibraryImport(Library)] public static partial int ImfOutputWritePixels(IntPtr file, int scanlines);
    [LibraryImport(Library)] public static partial IntPtr ImfErrorMessage();

    public static void Check(bool ok, string what, string path)
    {
        if (ok) return;
        throw new ExrException($"{path}: {what} failed: {Marshal.PtrToStringUTF8(ImfErrorMessage()) ?? "unknown error"}", -1);
    }
}

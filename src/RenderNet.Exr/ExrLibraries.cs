using System.Runtime.InteropServices;

namespace RenderNet.Exr;

/// <summary>One DllImport resolver for the assembly (only one may be set): Debian ships both libraries only under versioned names.</summary>
static class ExrLibraries
{
    static int installed;

    public static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref installed, 1) == 0)
            NativeLibrary.SetDllImportResolver(typeof(ExrLibraries).Assembly, ExrNative.Resolve);
    }
}

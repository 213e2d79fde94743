namespace RenderNet.Exr;

/// <summary>An OpenEXR file could not be written or read; <see cref="Code"/> is OpenEXRCore's exr_result_t.</summary>
public sealed class ExrException(string message, int code) : IOException(message)
{
    public int Code { get; } = code;
}

/// <summary>OpenEXRCore's C library is not installed (Debian: libopenexr-3-1-30).</summary>
public sealed class ExrUnavailableException(Exception cause) : InvalidOperationException(
    "OpenEXR's C library (libOpenEXRCore-3_1.so.30) was not found: install it with 'apt-get install libopenexr-3-1-30' (or scripts/install-deps.sh), or write .png/.pfm", cause);

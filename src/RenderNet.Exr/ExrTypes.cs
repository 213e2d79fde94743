namespace RenderNet.Exr;

/// <summary>EXR compression methods (OpenEXR's exr_compression_t values). ZIP/PIZ/RLE/ZIPS are lossless; DWAA/DWAB are lossy on half RGB-like channels.</summary>
public enum ExrCompression { None = 0, Rle = 1, Zips = 2, Zip = 3, Piz = 4, Dwaa = 8, Dwab = 9 }

/// <summary>How a channel is stored in the file (OpenEXR's exr_pixel_type_t values).</summary>
public enum ExrPixelType { Half = 1, Float = 2 }

/// <summary>One channel to write: its full name (layer.channel, e.g. <c>albedo.R</c>), values (width × height, rows top to bottom, one float per pixel), and its type in the file.</summary>
public sealed record ExrChannel(string Name, float[] Values, ExrPixelType Type);

/// <summary>A header attribute: string, int, float, or a 4×4 float matrix (row-major, as OpenEXR's m44f).</summary>
public abstract record ExrAttribute(string Name)
{
    public sealed record Text(string Name, string Value) : ExrAttribute(Name);
    public sealed record Int(string Name, int Value) : ExrAttribute(Name);
    public sealed record Float(string Name, float Value) : ExrAttribute(Name);
    public sealed record Matrix(string Name, float[] Values) : ExrAttribute(Name);
}

/// <summary>How a file is laid out: scanlines (the default), or tiles of <see cref="TileSize"/>² pixels; and its compression.</summary>
public sealed record ExrWriteOptions
{
    public ExrCompression Compression { get; init; } = ExrCompression.Zip;
    /// <summary>0: scanline image; else a tiled image with square tiles of this size (one level).</summary>
    public int TileSize { get; init; }
    public const int MaxTileSize = 4096;
    /// <summary>DWAA/DWAB quality (OpenEXR's default is 45); ignored by other compressions.</summary>
    public float DwaLevel { get; init; } = 45f;

    public void Validate()
    {
        if (!Enum.IsDefined(Compression)) throw new ArgumentException($"EXR compression {(int)Compression} is not supported (none, rle, zips, zip, piz, dwaa, dwab)");
        if (TileSize < 0 || TileSize > MaxTileSize) throw new ArgumentException($"EXR tile size must be 0 (scanlines) or 1 to {MaxTileSize}, got {TileSize}");
        if (!float.IsFinite(DwaLevel) || DwaLevel <= 0 || DwaLevel > 1000) throw new ArgumentException($"DWA compression level must be above 0 and at most 1000, got {DwaLevel}");
    }

    /// <summary>Parses a compression name as users type it (none, rle, zips, zip, piz, dwaa, dwab).</summary>
    public static ExrCompression ParseCompression(string name) =>
        Enum.TryParse<ExrCompression>(name, ignoreCase: true, out var c) && Enum.IsDefined(c) && !int.TryParse(name, out _)
            ? c
            : throw new ArgumentException($"'{name}' is not an EXR compression (none, rle, zips, zip, piz, dwaa, dwab)");
}

/// <summary>A file read back: size, layout, channels by name (as floats), and the header attributes RenderNet understands.</summary>
public sealed record ExrImage(
    int Width, int Height, bool Tiled, ExrCompression Compression,
    IReadOnlyDictionary<string, float[]> Channels, IReadOnlyDictionary<string, ExrPixelType> ChannelTypes,
    IReadOnlyDictionary<string, object> Attributes);

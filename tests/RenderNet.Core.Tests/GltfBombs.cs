using System.Buffers.Binary;
using System.Text;

namespace RenderNet.Core.Tests;

/// <summary>
/// Small .glb files that describe enormous work (security review N-1), written byte by byte: valid glTF that SharpGLTF
/// parses, with a consistent binary chunk, so the only defence is a budget.
/// </summary>
public static class GltfBombs
{
    /// <summary>A chain of <paramref name="depth"/> nodes, each translated by 0.001 along x; the last one holds a triangle.</summary>
    public static byte[] DeepChain(int depth)
    {
        var nodes = new StringBuilder();
        for (int i = 0; i < depth; i++)
        {
            if (i > 0) nodes.Append(',');
            nodes.Append(i < depth - 1 ? $"{{\"translation\":[0.001,0,0],\"children\":[{i + 1}]}}" : "{\"translation\":[0.001,0,0],\"mesh\":0}");
        }
        return Glb(nodes.ToString(), triangles: 1);
    }

    /// <summary><paramref name="instances"/> nodes that all use one mesh of <paramref name="triangles"/> triangles.</summary>
    public static byte[] Instancing(int instances, int triangles)
    {
        var nodes = new StringBuilder();
        for (int i = 0; i < instances; i++) nodes.Append(i > 0 ? ",{\"mesh\":0}" : "{\"mesh\":0}");
        return Glb(nodes.ToString(), triangles, rootsAreAll: true);
    }

    /// <summary>A one-triangle scene whose texture is a PNG that claims <paramref name="side"/>×<paramref name="side"/> pixels.</summary>
    public static byte[] HugeTexture(int side) => Glb("{\"mesh\":0}", 1, png: PngHeader(side, side));

    static byte[] Glb(string nodes, int triangles, bool rootsAreAll = false, byte[]? png = null)
    {
        // Binary chunk: 3 positions (36 bytes), then 3 × triangles ushort indices (all 0,1,2), then the image.
        int indexBytes = triangles * 6;
        var bin = new List<byte>();
        foreach (var f in new float[] { 0, 0, 0, 1, 0, 0, 0, 1, 0 }) bin.AddRange(BitConverter.GetBytes(f));
        for (int t = 0; t < triangles; t++) foreach (ushort i in new ushort[] { 0, 1, 2 }) bin.AddRange(BitConverter.GetBytes(i));
        while (bin.Count % 4 != 0) bin.Add(0);
        int imageOffset = bin.Count;
        if (png is not null) bin.AddRange(png);
        while (bin.Count % 4 != 0) bin.Add(0);

        int nodeCount = nodes.Count(c => c == '{') - (nodes.Contains("children") ? 0 : 0);
        string sceneNodes = rootsAreAll ? string.Join(",", Enumerable.Range(0, nodeCount)) : "0";
        string images = png is null ? "" :
            $",\"images\":[{{\"bufferView\":2,\"mimeType\":\"image/png\"}}],\"textures\":[{{\"source\":0}}],\"materials\":[{{\"pbrMetallicRoughness\":{{\"baseColorTexture\":{{\"index\":0}}}}}}]";
        string views = $"{{\"buffer\":0,\"byteOffset\":0,\"byteLength\":36}},{{\"buffer\":0,\"byteOffset\":36,\"byteLength\":{indexBytes}}}"
                       + (png is null ? "" : $",{{\"buffer\":0,\"byteOffset\":{imageOffset},\"byteLength\":{png.Length}}}");
        string json = "{\"asset\":{\"version\":\"2.0\"},\"scene\":0,\"scenes\":[{\"nodes\":[" + sceneNodes + "]}],\"nodes\":[" + nodes + "]," +
                      "\"meshes\":[{\"primitives\":[{\"attributes\":{\"POSITION\":0},\"indices\":1" + (png is null ? "" : ",\"material\":0") + "}]}]," +
                      "\"accessors\":[{\"bufferView\":0,\"componentType\":5126,\"count\":3,\"type\":\"VEC3\",\"min\":[0,0,0],\"max\":[1,1,0]}," +
                      $"{{\"bufferView\":1,\"componentType\":5123,\"count\":{triangles * 3},\"type\":\"SCALAR\"}}]," +
                      $"\"bufferViews\":[{views}],\"buffers\":[{{\"byteLength\":{bin.Count}}}]{images}}}";
        var jsonBytes = Encoding.UTF8.GetBytes(json).ToList();
        while (jsonBytes.Count % 4 != 0) jsonBytes.Add((byte)' ');

        var glb = new byte[12 + 8 + jsonBytes.Count + 8 + bin.Count];
        var span = glb.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, 0x46546C67);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], 2);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], (uint)glb.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], (uint)jsonBytes.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(span[16..], 0x4E4F534A);
        jsonBytes.ToArray().CopyTo(span[20..]);
        int b = 20 + jsonBytes.Count;
        BinaryPrimitives.WriteUInt32LittleEndian(span[b..], (uint)bin.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(b + 4)..], 0x004E4942);
        bin.ToArray().CopyTo(span[(b + 8)..]);
        return glb;
    }

    /// <summary>A PNG signature, an IHDR for a 1-bit greyscale image of the given size, and IEND: all a decoder reads first.</summary>
    static byte[] PngHeader(int width, int height)
    {
        var png = new List<byte> { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A };
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 1; // bit depth 1, colour type 0 (greyscale)
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    static void Chunk(List<byte> png, string type, byte[] data)
    {
        var header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        png.AddRange(header);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.AddRange(typed);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        png.AddRange(crc);
    }

    static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte d in data)
        {
            crc ^= d;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}

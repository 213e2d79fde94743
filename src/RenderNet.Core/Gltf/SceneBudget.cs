using System.Buffers.Binary;
using System.Text.Json;
using RenderNet.Core.Scenes;

namespace RenderNet.Core.Gltf;

/// <summary>
/// Limits a .glb must fit before anything in it is decoded or allocated. A render node loads scenes from strangers,
/// and a small file can describe enormous work: a 100 KB chain of nodes thousands deep, a mesh instanced a hundred
/// thousand times, a 1-bit PNG that decodes to gigabytes. <see cref="Check"/> reads only the JSON and image headers,
/// with iterative traversals (no recursion to overflow the stack), and throws <see cref="SceneException"/> naming the
/// first limit passed.
/// </summary>
public sealed record SceneBudget
{
    public int MaxNodes { get; init; } = 100_000;
    /// <summary>Deepest node hierarchy (root = 1).</summary>
    public int MaxDepth { get; init; } = 256;
    /// <summary>Triangles after instancing: every node that uses a mesh adds all of its triangles.</summary>
    public long MaxTriangles { get; init; } = 16_000_000;
    /// <summary>Texels of all images together, and the longest side of any one.</summary>
    public long MaxTexels { get; init; } = 1L << 28;
    public int MaxImageSide { get; init; } = 16384;
    /// <summary>Bytes of all buffers together (the binary chunk and any embedded data URIs).</summary>
    public long MaxBufferBytes { get; init; } = 1L << 30;
    public int MaxJsonBytes { get; init; } = 64 << 20;

    public static SceneBudget Default { get; } = new();

    /// <summary>The totals a file describes (for messages and tests).</summary>
    public sealed record Totals(int Nodes, int Depth, long Triangles, long Texels, long BufferBytes);

    /// <exception cref="SceneException">The file is not a well-formed .glb or describes more than this budget allows.</exception>
    public Totals Check(ReadOnlySpan<byte> glb, string name)
    {
        var (jsonRange, binRange) = Chunks(glb, name);
        var json = glb[jsonRange];
        var bin = glb[binRange];
        if (json.Length > MaxJsonBytes) Refuse(name, $"its JSON is {json.Length:N0} bytes (limit {MaxJsonBytes:N0})");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException ex) { throw new SceneException($"'{name}' is not a readable glTF 2.0 file: its JSON is malformed ({ex.Message.Split('\n')[0]})", ex); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) Refuse(name, "its JSON is not an object");
            var nodes = Array(root, "nodes");
            if (nodes.Count > MaxNodes) Refuse(name, $"it has {nodes.Count:N0} nodes (limit {MaxNodes:N0})");
            long bufferBytes = Array(root, "buffers").Sum(b => Long(b, "byteLength"));
            if (bufferBytes > MaxBufferBytes) Refuse(name, $"its buffers hold {bufferBytes:N0} bytes (limit {MaxBufferBytes:N0})");
            var (depth, triangles) = Walk(root, nodes, name);
            long texels = Texels(root, bin, name);
            return new Totals(nodes.Count, depth, triangles, texels, bufferBytes);
        }
    }

    static (Range Json, Range Bin) Chunks(ReadOnlySpan<byte> glb, string name)
    {
        if (glb.Length < 20 || BinaryPrimitives.ReadUInt32LittleEndian(glb) != 0x46546C67)
            throw new SceneException($"'{name}' is not a readable glTF 2.0 file: it has no glTF binary header");
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(glb[8..]);
        if (length > glb.Length) throw new SceneException($"'{name}' is not a readable glTF 2.0 file: it is truncated (its header says {length:N0} bytes, there are {glb.Length:N0})");
        uint jsonLength = BinaryPrimitives.ReadUInt32LittleEndian(glb[12..]);
        if (BinaryPrimitives.ReadUInt32LittleEndian(glb[16..]) != 0x4E4F534A || jsonLength > length - 20)
            throw new SceneException($"'{name}' is not a readable glTF 2.0 file: its first chunk is not JSON of a plausible length");
        var json = new Range(20, 20 + (int)jsonLength);
        long binStart = 20L + jsonLength;
        var bin = new Range(0, 0);
        if (binStart + 8 <= length)
        {
            uint binLength = BinaryPrimitives.ReadUInt32LittleEndian(glb[(int)binStart..]);
            if (binLength <= length - binStart - 8) bin = new Range((int)binStart + 8, (int)binStart + 8 + (int)binLength);
        }
        return (json, bin);
    }

    /// <summary>Depth of the hierarchy and triangles after instancing, over the nodes the scenes reach (iteratively).</summary>
    (int Depth, long Triangles) Walk(JsonElement root, List<JsonElement> nodes, string name)
    {
        var meshTriangles = Array(root, "meshes").Select(m => MeshTriangles(root, m)).ToList();
        var roots = new List<int>();
        foreach (var scene in Array(root, "scenes"))
            if (scene.TryGetProperty("nodes", out var list) && list.ValueKind == JsonValueKind.Array)
                foreach (var n in list.EnumerateArray()) roots.Add(Index(n, nodes.Count, name, "scene node"));
        var seen = new bool[nodes.Count];
        var stack = new Stack<(int Node, int Depth)>(roots.Select(r => (r, 1)));
        int deepest = 0;
        long triangles = 0;
        while (stack.Count > 0)
        {
            var (index, depth) = stack.Pop();
            // glTF nodes form a forest: a node reached twice is a cycle or a shared child, both invalid.
            if (seen[index]) Refuse(name, $"node {index} is reached twice (the hierarchy has a cycle or a shared child)");
            seen[index] = true;
            deepest = Math.Max(deepest, depth);
            if (deepest > MaxDepth) Refuse(name, $"its node hierarchy is more than {MaxDepth} levels deep");
            var node = nodes[index];
            if (node.TryGetProperty("mesh", out var mesh))
            {
                triangles += meshTriangles[Index(mesh, meshTriangles.Count, name, "mesh")];
                if (triangles > MaxTriangles) Refuse(name, $"it instances more than {MaxTriangles:N0} triangles");
            }
            if (node.TryGetProperty("children", out var children) && children.ValueKind == JsonValueKind.Array)
                foreach (var c in children.EnumerateArray()) stack.Push((Index(c, nodes.Count, name, "child node"), depth + 1));
        }
        return (deepest, triangles);
    }

    static long MeshTriangles(JsonElement root, JsonElement mesh)
    {
        var accessors = Array(root, "accessors");
        long Count(JsonElement reference) =>
            reference.ValueKind == JsonValueKind.Number && reference.TryGetInt32(out int i) && i >= 0 && i < accessors.Count ? Math.Max(0, Long(accessors[i], "count")) : 0;
        long total = 0;
        foreach (var prim in Array(mesh, "primitives"))
        {
            long vertices = prim.TryGetProperty("indices", out var indices) ? Count(indices)
                : prim.TryGetProperty("attributes", out var attributes) && attributes.ValueKind == JsonValueKind.Object && attributes.TryGetProperty("POSITION", out var position) ? Count(position)
                : 0;
            long mode = prim.TryGetProperty("mode", out var m) && m.TryGetInt64(out long v) ? v : 4;
            total += mode switch { 4 => vertices / 3, 5 or 6 => Math.Max(0, vertices - 2), _ => 0 };
        }
        return total;
    }

    long Texels(JsonElement root, ReadOnlySpan<byte> bin, string name)
    {
        var views = Array(root, "bufferViews");
        long total = 0;
        int i = 0;
        foreach (var image in Array(root, "images"))
        {
            byte[]? header = null;
            if (image.TryGetProperty("bufferView", out var viewRef) && viewRef.TryGetInt32(out int v) && v >= 0 && v < views.Count)
            {
                long offset = Long(views[v], "byteOffset"), length = Long(views[v], "byteLength");
                if (offset < 0 || length < 0 || offset + length > bin.Length) Refuse(name, $"image {i} lies outside the binary chunk");
                header = bin.Slice((int)offset, (int)Math.Min(length, 1 << 20)).ToArray();
            }
            else if (image.TryGetProperty("uri", out var uri) && uri.GetString() is { } text && text.StartsWith("data:", StringComparison.Ordinal) && text.IndexOf(',') is > 0 and var comma)
            {
                var prefix = text.AsSpan(comma + 1, Math.Min(text.Length - comma - 1, 4 << 18));
                prefix = prefix[..(prefix.Length / 4 * 4)];
                try { header = Convert.FromBase64String(prefix.ToString()); }
                catch (FormatException) { Refuse(name, $"image {i} has a malformed data URI"); }
            }
            if (header is not null)
            {
                SixLabors.ImageSharp.IImageInfo? info;
                try { info = SixLabors.ImageSharp.Image.Identify(header); }
                catch (Exception ex) when (ex is SixLabors.ImageSharp.UnknownImageFormatException or SixLabors.ImageSharp.InvalidImageContentException or NotSupportedException)
                {
                    throw new SceneException($"'{name}' is refused: image {i} is not a readable image", ex);
                }
                if (info is null) Refuse(name, $"image {i} is not in a format this node reads");
                if (info.Width > MaxImageSide || info.Height > MaxImageSide)
                    Refuse(name, $"image {i} is {info.Width}x{info.Height} (limit {MaxImageSide} on a side)");
                total += (long)info.Width * info.Height;
                if (total > MaxTexels) Refuse(name, $"its images hold more than {MaxTexels:N0} texels");
            }
            i++;
        }
        return total;
    }

    static List<JsonElement> Array(JsonElement parent, string property) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(property, out var a) && a.ValueKind == JsonValueKind.Array ? a.EnumerateArray().ToList() : [];

    static long Long(JsonElement e, string property) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(property, out var v) && v.TryGetInt64(out long n) ? n : 0;

    static int Index(JsonElement e, int count, string name, string what)
    {
        if (!e.TryGetInt32(out int i) || i < 0 || i >= count) Refuse(name, $"a {what} index is out of range");
        return i;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    static void Refuse(string name, string why) => throw new SceneException($"'{name}' is refused: {why}");
}

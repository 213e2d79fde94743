using System.Security.Cryptography;
using RenderNet.Core.Gltf;
using RenderNet.Core.Samples;
using RenderNet.Core.Scenes;

namespace RenderNet.Plugin;

/// <summary>
/// A scene to render, as glTF 2.0: read from a file, given as .glb bytes, built in code with
/// <see cref="RenderSceneBuilder"/>, or RenderNet's sample scene. Nodes receive exactly these bytes (content-addressed,
/// sent once per node).
/// </summary>
public sealed class RenderScene
{
    RenderScene(string name, byte[] glb)
    {
        Name = name;
        Glb = glb;
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(glb));
    }

    /// <summary>A name for messages (the file name, or the builder's name).</summary>
    public string Name { get; }
    /// <summary>SHA-256 of the .glb bytes, lower-case hex: the scene's address on the nodes.</summary>
    public string Sha256 { get; }
    internal byte[] Glb { get; }

    /// <summary>Reads a .gltf (with its external buffers and images) or .glb file.</summary>
    /// <exception cref="InvalidSceneException">The file is missing or is not valid glTF 2.0.</exception>
    public static RenderScene FromFile(string path)
    {
        try
        {
            return new RenderScene(Path.GetFileName(path), GltfSceneLoader.ReadAsGlb(path));
        }
        catch (Exception ex) when (ex is SceneException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidSceneException(ex.Message, [new RenderProblem(ProblemSeverity.Error, ex.Message)]);
        }
    }

    /// <summary>A scene from .glb bytes (checked when the request is validated).</summary>
    public static RenderScene FromGlb(ReadOnlySpan<byte> glb, string name = "scene.glb") => new(name, glb.ToArray());

    /// <summary>RenderNet's sample scene: a Cornell-box room with an emissive ceiling panel, a block and a metal sphere.</summary>
    public static RenderScene Sample() => new(CornellBox.FileName, CornellBox.Build().WriteGLB().ToArray());

    internal static RenderScene FromBuilt(string name, byte[] glb) => new(name, glb);
}

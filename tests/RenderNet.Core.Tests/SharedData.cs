namespace RenderNet.Core.Tests;

/// <summary>Locates the repository and the shared Khronos glTF models (../shared/gltf beside the repository).</summary>
public static class SharedData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "RenderNet.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("RenderNet.sln not found above " + AppContext.BaseDirectory);
    }

    public static string GltfDir => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "gltf"));
    public static bool HasGltf => Directory.Exists(GltfDir);
    public static string Gltf(string name) => Path.Combine(GltfDir, name);
}

/// <summary>A fact that is skipped, with the reason, when ../shared/gltf is absent.</summary>
public sealed class SharedGltfFactAttribute : FactAttribute
{
    public SharedGltfFactAttribute()
    {
        if (!SharedData.HasGltf) Skip = $"Khronos sample models not found at {SharedData.GltfDir}";
    }
}

/// <summary>A theory that is skipped, with the reason, when ../shared/gltf is absent.</summary>
public sealed class SharedGltfTheoryAttribute : TheoryAttribute
{
    public SharedGltfTheoryAttribute()
    {
        if (!SharedData.HasGltf) Skip = $"Khronos sample models not found at {SharedData.GltfDir}";
    }
}

using RenderNet.Core.Acceleration;
using RenderNet.Core.Gltf;
using RenderNet.Core.Rendering;
using RenderNet.Core.Scenes;
using RenderNet.Core.Tests;
using Xunit.Abstractions;

namespace RenderNet.Vulkan.Tests;

/// <summary>
/// Determinism proves nothing about correctness, so the GPU's primary hits (triangle id through each pixel centre)
/// are compared with a brute-force CPU ray test over every triangle: a BVH that lost triangles would show here.
/// </summary>
[Collection("device")]
public class CoverageTests(DeviceFixture gpu, ITestOutputHelper output)
{
    void AssertCoverageMatches(Scene scene, int width, int height)
    {
        var camera = scene.ResolveCamera(null);
        var frame = new FrameSettings { Width = width, Height = height, Camera = camera, Output = RenderOutput.PrimaryHit };
        var ids = gpu.Render(scene, frame, tileSize: 23);

        var rays = CameraRays.For(camera, width, height);
        var caster = new CpuRayCaster(scene.Positions);
        int agree = 0, gpuOnly = 0, cpuOnly = 0, covered = 0;
        var cpuSeen = new Dictionary<int, int>();
        var gpuSeen = new HashSet<int>();
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var (o, d) = rays.Ray(x + 0.5f, y + 0.5f);
                int expected = caster.BruteForce(o, d)?.Triangle ?? -1;
                int actual = (int)ids[x, y].R;
                if (expected >= 0) { covered++; cpuSeen[expected] = cpuSeen.GetValueOrDefault(expected) + 1; }
                if (actual >= 0) gpuSeen.Add(actual);
                if (expected == actual) agree++;
                else if (expected < 0) gpuOnly++;
                else if (actual < 0) cpuOnly++;
            }
        int total = width * height;
        output.WriteLine($"{scene.Name}: {agree}/{total} pixels agree, {covered} covered, {gpuOnly} gpu-only, {cpuOnly} cpu-only, {cpuSeen.Count} triangles visible");
        Assert.True(covered > total / 20, "the camera sees almost nothing: the test would prove little");
        // Disagreements are only allowed on shared edges, where both answers are right to float precision.
        Assert.True(agree >= total * 0.995, $"{scene.Name}: only {agree} of {total} pixels agree with the CPU reference");
        Assert.True(gpuOnly + cpuOnly <= total * 0.002, $"{scene.Name}: coverage differs in {gpuOnly + cpuOnly} pixels");
        var missing = cpuSeen.Where(kv => kv.Value >= 2 && !gpuSeen.Contains(kv.Key)).Select(kv => kv.Key).ToList();
        Assert.True(missing.Count == 0, $"{scene.Name}: triangles {string.Join(",", missing.Take(10))} are visible on the CPU but never hit on the GPU");
    }

    [Fact]
    public void Cornell_box_primary_hits_match_brute_force() => AssertCoverageMatches(SceneBuilder.CornellBox(), 80, 60);

    [SharedGltfTheory]
    [InlineData("Duck.gltf")]
    [InlineData("OrientationTest.gltf")]
    [InlineData("Box.gltf")]
    [InlineData("BlenderLights.glb")]
    [InlineData("TextureCoordinateTest.gltf")]
    public void Khronos_primary_hits_match_brute_force(string file) =>
        AssertCoverageMatches(GltfSceneLoader.Load(SharedData.Gltf(file)), 64, 48);
}

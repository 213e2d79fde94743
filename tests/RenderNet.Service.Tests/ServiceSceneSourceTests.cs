using RenderNet.Client;
using RenderNet.Farm.Tests;

namespace RenderNet.Service.Tests;

/// <summary>Scene sources named in a service request reach the nodes: one that allows the source fetches the scene there.</summary>
public sealed class ServiceSceneSourceTests
{
    [Fact]
    public async Task A_request_names_a_scene_source_and_a_node_that_allows_it_fetches_the_scene_there_instead_of_from_the_service()
    {
        var scene = RenderScene.Sample();
        using var cdn = new SceneServer { Body = scene.Glb, Sha = scene.Sha256 };
        using var fetching = new NodeProcess(null, "--scene-gateway", $"127.0.0.1:{cdn.Port}");
        using var sent = new NodeProcess(); // allows no source: the service sends it the scene
        string dir = Directory.CreateTempSubdirectory("rendernet-scene-source").FullName;
        try
        {
            using var service = await ServiceProcess.StartAsync(Path.Combine(dir, "state"), null, "--nodes", $"{fetching.Address},{sent.Address}", "--spot-check", "0");
            using var client = await RenderServiceClient.ConnectAsync(service.Address, service.Token);
            var request = new RenderRequest(scene) { Width = 64, Height = 48, SamplesPerPixel = 4, MaxBounces = 2, TileSize = 16, PixelFormat = PixelFormat.Rgba32FloatLinear };
            request.SceneSources.Add($"http://127.0.0.1:{cdn.Port}/scenes/{{sha256}}.glb");

            var job = client.CreateJob(request);
            job.Start();
            var result = await job.Completion.WaitAsync(TimeSpan.FromMinutes(3));

            Assert.True(LocalServiceFixture.Bytes(LocalServiceFixture.LocalRender(request)).AsSpan().SequenceEqual(result.Frames[0].Pixels.Span));
            Assert.Equal(1, cdn.Requests);
            Assert.Contains(fetching.Output, l => l.Contains($"scene {scene.Sha256} fetched and cached"));
            Assert.DoesNotContain(fetching.Output, l => l.Contains($"scene {scene.Sha256} cached (")); // the upload's line
            Assert.Contains(sent.Output, l => l.Contains($"scene {scene.Sha256} cached ("));
        }
        finally { Directory.Delete(dir, true); }
    }
}

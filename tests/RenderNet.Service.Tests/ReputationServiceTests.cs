using RenderNet.Client;
using RenderNet.Farm.Tests;

namespace RenderNet.Service.Tests;

/// <summary>A node's record outlives the job and the service process: a liar caught in one job gets nothing in the next.</summary>
public sealed class ReputationServiceTests
{
    [Fact]
    public async Task A_node_convicted_in_one_job_is_denied_in_the_next_after_a_restart_and_the_node_list_says_why()
    {
        using var a = new NodeProcess(); using var b = new NodeProcess(); using var liar = new NodeProcess("PlausibleLie");
        string dir = Directory.CreateTempSubdirectory("rendernet-reputation").FullName;
        try
        {
            string state = Path.Combine(dir, "state");
            string[] args = ["--nodes", $"{a.Address},{b.Address},{liar.Address}", "--spot-check", "1"];
            var request = new RenderRequest(RenderScene.Sample()) { Width = 96, Height = 64, SamplesPerPixel = 4, MaxBounces = 3, TileSize = 16, PixelFormat = PixelFormat.Rgba32FloatLinear };
            var expected = LocalServiceFixture.Bytes(LocalServiceFixture.LocalRender(request));

            using (var first = await ServiceProcess.StartAsync(state, null, args))
            {
                using var client = await RenderServiceClient.ConnectAsync(first.Address, first.Token);
                var result = await client.RenderAsync(request).WaitAsync(TimeSpan.FromMinutes(3));
                Assert.True(expected.AsSpan().SequenceEqual(result.Frames[0].Pixels.Span));
                Assert.Contains(result.Warnings, w => w.Contains(liar.Address) && w.Contains("failed a spot check"));
            }

            using var second = await ServiceProcess.StartAsync(state, null, args);
            using var again = await RenderServiceClient.ConnectAsync(second.Address, second.Token);
            using var http = second.Http();
            var nodes = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("v1/nodes")).RootElement.EnumerateArray().ToList();
            var record = nodes.Single(n => n.GetProperty("address").GetString() == liar.Address);
            Assert.Equal("denied", record.GetProperty("standing").GetString());
            Assert.StartsWith("outvoted in a spot check of job", record.GetProperty("denied").GetString());
            Assert.All(nodes.Where(n => n.GetProperty("address").GetString() != liar.Address), n => Assert.NotEqual("denied", n.GetProperty("standing").GetString()));
            // The node host's and operator's view: `rendernet nodes --service`.
            var (code, printed, _) = await CliRun.RunAsync(new Dictionary<string, string> { ["RENDERNET_SERVICE_TOKEN"] = second.Token },
                "nodes", "--service", second.Address.ToString());
            Assert.Equal(0, code);
            Assert.Contains($"{liar.Address} is denied: outvoted in a spot check of job", printed);

            var tiles = new List<RenderTile>();
            var job = again.CreateJob(request);
            job.TileCompleted += t => { lock (tiles) tiles.Add(t); };
            job.Start();
            var next = await job.Completion.WaitAsync(TimeSpan.FromMinutes(3));
            Assert.True(expected.AsSpan().SequenceEqual(next.Frames[0].Pixels.Span));
            Assert.DoesNotContain(tiles, t => t.Node.Contains(liar.Address));
            Assert.DoesNotContain(next.Receipt, r => r.Address == liar.Address && r.Tiles > 0);
        }
        finally { Directory.Delete(dir, true); }
    }
}
